"""YAML reading that remembers where each key came from, and pydantic errors turned into file:line messages.

A config file is bounded before it is composed: at most :data:`MAX_BYTES`, UTF-8 text, nesting at most
:data:`MAX_DEPTH` deep, and aliases expanding to at most :data:`MAX_NODES` nodes. PyYAML's composer recurses
once per level (5000 levels: RecursionError) and every walk of the tree expands each alias again (a "billion
laughs" file of 1 KB grew past 4 GB), so both are measured on the event stream, which needs neither.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from models.errors import ConfigError, ConfigProblem, SourceProblem

Loc = tuple[str | int, ...]
MAX_BYTES = 8 * 1024 * 1024  # config/site.yaml of the 1041-point building is 40 KB
MAX_DEPTH = 64  # the deepest real key path (devices[i].connection.tls...) is under 10
MAX_NODES = 1_000_000  # nodes after alias expansion; the site file has about 10,000
# libyaml when PyYAML was built with it: the same events, nodes and marks, 4-8x faster (every command loads the site)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSource:
    """A parsed YAML file plus a map from key paths to 1-based line numbers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = _bounded_text(path)
        self.lines: dict[Loc, int] = {}
        try:
            _check_shape(self.text, path)
            node = yaml.compose(self.text, Loader=_LOADER)
            self.data: Any = yaml.load(self.text, Loader=_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            exc = _python_parser_error(self.text) or exc  # its messages name what was found; libyaml's do not
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            msg = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
            raise SourceProblem(ConfigProblem(str(path), line, "", msg)) from exc
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, loc: Loc) -> None:
        self.lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                k = key.value
                self.lines[(*loc, k)] = key.start_mark.line + 1
                self._walk(value, (*loc, k))
                self.lines[(*loc, k)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*loc, i))

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest existing prefix of ``loc`` (a missing key points at its parent)."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None

    def problem(self, loc: Loc, message: str) -> ConfigProblem:
        return ConfigProblem(str(self.path), self.line_of(loc), format_loc(loc), message)


def _python_parser_error(text: str) -> yaml.YAMLError | None:
    """The pure-Python parser's error for ``text`` (events only: no recursion, however deep the text)."""
    try:
        for _ in yaml.parse(text, Loader=yaml.SafeLoader):
            pass
    except yaml.YAMLError as exc:
        return exc
    return None


def _bounded_text(path: Path) -> str:
    """The file's text, or a SourceProblem when it is too large or not UTF-8 text (a binary file)."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        msg = f"file is {size / 1e6:.1f} MB, more than the {MAX_BYTES // (1024 * 1024)} MB a config file may be"
        raise SourceProblem(ConfigProblem(str(path), None, "", f"{msg}; is this the right file?"))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 text (byte 0x{data[exc.start]:02x}); a config file is YAML text, is this a binary file?"
        raise SourceProblem(ConfigProblem(str(path), line, "", msg)) from None
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise SourceProblem(ConfigProblem(str(path), line, "", "NUL byte: a binary file, not YAML text"))
    return text


def _events(text: str, path: Path) -> Iterator[yaml.Event]:
    try:
        yield from yaml.parse(text, Loader=_LOADER)
    except yaml.YAMLError as exc:  # libyaml scans ahead and stops at its own depth limit (1000) first
        if "nesting depth" not in str(exc):
            raise
        msg = f"nested more than {MAX_DEPTH} levels deep; a config file is a few levels of keys and lists"
        raise SourceProblem(ConfigProblem(str(path), None, "", msg)) from None


def _check_shape(text: str, path: Path) -> None:
    """Nesting depth and alias-expanded size from the event stream, before anything is composed."""
    sizes: dict[str, int] = {}  # anchor -> nodes it expands to
    stack: list[list[Any]] = [[None, 0]]  # [anchor, nodes so far] per open collection
    for event in _events(text, path):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 0])
            if len(stack) - 1 > MAX_DEPTH:
                msg = f"nested more than {MAX_DEPTH} levels deep; a config file is a few levels of keys and lists"
                raise SourceProblem(ConfigProblem(str(path), event.start_mark.line + 1, "", msg))
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, count = stack.pop()
            count += 1
        elif isinstance(event, yaml.ScalarEvent):
            anchor, count = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            anchor, count = None, sizes.get(event.anchor or "", 1)
        else:
            continue
        if anchor:
            sizes[anchor] = count
        stack[-1][1] += count
        if stack[-1][1] > MAX_NODES or count > MAX_NODES:
            msg = (f"aliases expand to more than {MAX_NODES:,} values (a 'billion laughs' file); "
                   "write the values out or use fewer nested aliases")
            raise SourceProblem(ConfigProblem(str(path), event.start_mark.line + 1, "", msg))



def read_config_file(path: Path, fix: str) -> YamlSource:
    """A config file parsed with its line map, or a ConfigError naming it; ``fix`` ends the missing-file message."""
    if not path.is_file():
        raise ConfigError([ConfigProblem(str(path), None, "", f"no such file; {fix}")])
    try:
        return YamlSource(path)
    except SourceProblem as exc:
        raise ConfigError([exc.problem]) from None


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def data_loc(data: Any, loc: tuple[Any, ...], keep_missing: bool = False) -> Loc:
    """Drop pydantic's union tags and model names from an error location, keeping real keys and indexes."""
    out: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        if isinstance(current, dict) and part in current:
            out.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            out.append(part)
            current = current[part]
        elif keep_missing and i == len(loc) - 1:
            out.append(part)  # a missing key: name it
        # else: a discriminator tag or model name, not in the data
    return tuple(out)


def known_fields(*models: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for m in models:
        names.update(m.model_fields)
    return names


def validation_problems(
    source: YamlSource, exc: ValidationError, vocabulary: set[str], prefix: Loc = ()
) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = data_loc(source.data, (*prefix, *err["loc"]), keep_missing=err["type"] == "missing")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            close = difflib.get_close_matches(loc[-1], sorted(vocabulary), n=1)
            msg = "unknown key" + (f" (did you mean '{close[0]}'?)" if close else "; remove it")
        elif err["type"] == "missing":
            msg = "required key is missing; add it (docs/configuration.md says what each file must hold)"
        elif "input" in err and not isinstance(err["input"], dict | list) and err["type"] != "missing":
            msg = f"{msg} (got {err['input']!r})"
        problems.append(source.problem(loc, msg))
    return problems


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
