"""Find every external executable the tree invokes, and the Debian package that provides each.

``make test`` on a new machine must find every binary the code, the tests, the demo and ``bench/`` run, and
``scripts/system-deps.sh`` is the only thing that installs them. This module reads the tree (Python by AST,
shell scripts and compose health checks by their command words) so a new ``subprocess.run(["x", ...])``
without its package in the script fails ``tests/ops/test_system_deps.py``, on the author's own machine.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Executables whose package is not installed on the machine that runs the test: say which package ships them,
# so the check still works (and is checked against dpkg wherever the binary is installed).
KNOWN_PACKAGES = {
    "mosquitto": "mosquitto",
    "mosquitto_passwd": "mosquitto",
    "mosquitto_sub": "mosquitto-clients",
    "influxd": "influxdb",
    "influx": "influxdb-client",
    "chromium": "chromium",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
    "pdffonts": "poppler-utils",
    "tesseract": "tesseract-ocr",
    "docker-compose": "docker-compose",
    "openssl": "openssl",
    "git": "git",
}
# What must be there before scripts/system-deps.sh can run at all: the README's first step installs them.
PREREQUISITES = {"make", "apt", "python3-venv"}
_SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output", "create_subprocess_exec", "execvp"}
_WHICH_CALLS = {"which", "require_binary"}
_EXECUTABLE_KWARGS = {"executable", "executable_path"}
_SHELL_WORDS = set(
    "if then else elif fi for while until do done case esac in function select time ! { } [[ ]] [ test "
    ": . source alias bg break cd command continue declare echo eval exec exit export false fg getopts hash "
    "jobs kill let local printf pwd read readonly return set shift shopt trap true type typeset ulimit umask "
    "unalias unset wait".split()
)
_SEPARATORS = {";", "&&", "||", "|", "(", ")", "{", "&", ";&", "|&", "$(", ");", "`"}
_SHELL_FILES = ("scripts", "deploy", ".ci")


@dataclass(frozen=True)
class Use:
    """One place an executable is invoked: ``file:line``."""

    name: str
    where: str


def scan_tree(root: Path) -> dict[str, list[str]]:
    """Executable name -> the places (``path:line``) that invoke it, over Python, shell and compose files."""
    uses: list[Use] = []
    for path in _python_files(root):
        uses += python_uses(path, root)
    for path in _shell_scripts(root):
        uses += shell_uses(path.read_text(errors="replace"), str(path.relative_to(root)))
    for path in sorted([*root.glob("docker-compose*.yml"), *root.glob("deploy/*.yml")]):
        uses += compose_uses(path, root)
    found: dict[str, list[str]] = defaultdict(list)
    for use in uses:
        found[use.name].append(use.where)
    return dict(found)


def _python_files(root: Path) -> list[Path]:
    """Our Python files; the walk never enters .venv, data or build output (tens of thousands of files)."""
    out = []
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("build", "node_modules", "data")
                   and not d.endswith(".egg-info") and d != "__pycache__"]  # fmt: skip
        out += [Path(top) / f for f in files if f.endswith(".py")]
    return sorted(out)


def _shell_scripts(root: Path) -> Iterable[Path]:
    for top in _SHELL_FILES:
        for path in sorted((root / top).rglob("*")) if (root / top).is_dir() else []:
            if path.is_file() and path.read_bytes()[:2] == b"#!" and b"sh" in path.read_bytes().split(b"\n")[0]:
                yield path


def python_uses(path: Path, root: Path) -> list[Use]:
    """Executables named in a Python file: subprocess and asyncio calls, shutil.which, executable= arguments."""
    text = path.read_text(encoding="utf-8")
    if not re.search(r"subprocess|which\(|require_binary|executable|exec", text):
        return []  # parsing all 250 files costs seconds; a file that names none of these runs nothing
    nodes = list(ast.walk(ast.parse(text, filename=str(path))))
    rel = str(path.relative_to(root))
    consts = {t.id: n.value.value for n in nodes if isinstance(n, ast.Assign)
              and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
              for t in n.targets if isinstance(t, ast.Name)}  # fmt: skip
    imported = {a.asname or a.name for n in nodes if isinstance(n, ast.ImportFrom)
                and n.module in ("subprocess", "os") for a in n.names}  # fmt: skip
    wrappers = _exec_wrappers(nodes, imported)
    uses: list[Use] = []
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        words: list[str] = []
        if name in _WHICH_CALLS and node.args:
            words = [_text(node.args[0], consts)]
        elif (_is_subprocess(node, imported) or name in wrappers) and node.args:
            words = _argv_words(node.args, consts, from_wrapper=not _is_subprocess(node, imported))
        words += [_text(k.value, consts) for k in node.keywords if k.arg in _EXECUTABLE_KWARGS]
        uses += [Use(Path(w).name, f"{rel}:{node.lineno}") for w in words if w]
    return uses


def _is_subprocess(node: ast.Call, imported: set[str]) -> bool:
    """``subprocess.run(...)``, ``asyncio.create_subprocess_exec(...)``, ``os.execvp(...)`` or an imported one."""
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id in ("subprocess", "asyncio", "os") and func.attr in _SUBPROCESS_CALLS
    return isinstance(func, ast.Name) and func.id in imported and func.id in _SUBPROCESS_CALLS


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _text(node: ast.expr, consts: dict[str, str]) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return consts.get(node.id, "")
    return ""


def _argv_words(args: list[ast.expr], consts: dict[str, str], from_wrapper: bool) -> list[str]:
    """The program of an argv: ``["x", ...]``, ``"x", ...`` (exec-style), or a ``sh -c "..."`` command line."""
    first = args[0]
    argv = first.elts if isinstance(first, ast.List | ast.Tuple) else args
    if not argv or isinstance(argv[0], ast.Starred):
        return []
    program = _text(argv[0], consts)
    if not isinstance(first, ast.List | ast.Tuple) and not from_wrapper and " " in program:
        return [w.name for w in shell_uses(program, "")]  # a command string (shell=True)
    if Path(program).name in ("sh", "bash") and len(argv) > 2 and _text(argv[1], consts) == "-c":
        return [program, *(w.name for w in shell_uses(_text(argv[2], consts), ""))]
    return [program]


def _exec_wrappers(nodes: list[ast.AST], imported: set[str]) -> set[str]:
    """Local helpers like ``def run(*args): subprocess.run(args, ...)``: their first argument is a program."""
    out = set()
    for fn in nodes:
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            params = {a.arg for a in fn.args.args} | ({fn.args.vararg.arg} if fn.args.vararg else set())
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and _is_subprocess(node, imported) and node.args:
                    first = node.args[0]
                    head = first.elts[0] if isinstance(first, ast.List | ast.Tuple) and first.elts else first
                    head = head.value if isinstance(head, ast.Starred) else head
                    if isinstance(head, ast.Name) and head.id in params:
                        out.add(fn.name)
    return out


def shell_uses(text: str, where: str) -> list[Use]:
    """Command words of a shell script or command line (functions it defines, builtins and variables left out)."""
    text = re.sub(r"\\\n", " ", text)
    text = re.sub(r"\b\w+=\([^)]*\)", "", text)  # array assignments hold words, not commands
    defined = set(re.findall(r"^\s*([A-Za-z_][\w-]*)\s*\(\)", text, flags=re.M))
    uses: list[Use] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split(" #")[0] if not line.lstrip().startswith("#") else ""
        line = re.sub(r"^\s*[^\s()]+\)\s", "", line)  # a case arm's pattern, e.g. `  demo) pkgs=...`
        words = _command_words(line) + re.findall(r"\$\(\s*([A-Za-z_/][\w./-]*)", line)
        for word in words:
            name = Path(word).name
            if name and name not in _SHELL_WORDS and name not in defined and re.fullmatch(r"[\w.+-]+", name):
                uses.append(Use(name, f"{where}:{lineno}" if where else ""))
    return uses


def _command_words(line: str) -> list[str]:
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:  # an unterminated quote spanning lines: the $( ) scan still runs
        return []
    out, expect, pattern = [], True, False
    for i, tok in enumerate(tokens):
        if pattern:  # a case pattern runs to its ')'
            pattern = tok != ")"
            expect = not pattern
        elif tok in _SEPARATORS or tok in ("then", "do", "else", "!", "{"):
            expect = True
        elif tok in (";;", "in") and (tok == ";;" or "case" in tokens[:i]):
            pattern = True
        elif expect:
            if "=" in tok and re.match(r"[A-Za-z_]\w*=", tok):
                continue  # an assignment before a command
            if not tok.startswith(("$", "-", ">", "<", "&")) and not tok[0].isdigit():
                out.append(tok)
            expect = tok in ("if", "while", "until", "time", "command", "exec")
    return out


def compose_uses(path: Path, root: Path) -> list[Use]:
    """The programs of every service's health check in a compose file."""
    data: Any = yaml.safe_load(path.read_text()) or {}
    uses = []
    for name, service in (data.get("services") or {}).items():
        test = ((service or {}).get("healthcheck") or {}).get("test")
        where = f"{path.relative_to(root)} services.{name}.healthcheck"
        if isinstance(test, str):
            uses += [Use(u.name, where) for u in shell_uses(test, where)]
        elif isinstance(test, list) and test and test[0] == "CMD-SHELL":
            uses += [Use(u.name, where) for u in shell_uses(" ".join(test[1:]), where)]
        elif isinstance(test, list) and test and test[0] == "CMD" and len(test) > 1:
            uses.append(Use(Path(test[1]).name, where))
    return uses


def script_packages(root: Path, target: str = "test") -> set[str]:
    """The Debian packages ``scripts/system-deps.sh TARGET`` installs (its ``list`` mode prints them)."""
    done = subprocess.run([str(root / "scripts" / "system-deps.sh"), "list", target], capture_output=True,
                          text=True, timeout=30, check=True)  # fmt: skip
    return set(done.stdout.split())


def _candidates(executable: str) -> list[str]:
    """Paths dpkg may have recorded for ``executable``: as found, resolved, and without the merged /usr."""
    path = shutil.which(executable) or next(
        (p for p in (f"/usr/sbin/{executable}", f"/sbin/{executable}") if Path(p).exists()), None
    )
    if path is None:
        return []
    real = str(Path(path).resolve())
    return sorted({real, path, re.sub(r"^/usr", "", real), re.sub(r"^/usr", "", path)})


def dpkg_packages(executables: Iterable[str]) -> dict[str, str]:
    """The installed package that ships each executable found on PATH or in /usr/sbin (one dpkg-query call:
    each call reads the whole file database, about half a second)."""
    wanted = {c: name for name in executables for c in _candidates(name)}
    if not wanted:
        return {}
    done = subprocess.run(["dpkg-query", "-S", *wanted], capture_output=True, text=True, timeout=60)
    out: dict[str, str] = {}
    for line in done.stdout.splitlines():
        if line.startswith("diversion") or ": " not in line:
            continue
        package, path = line.split(": ", 1)
        if path in wanted:
            out.setdefault(wanted[path], package.split(",")[0].split(":")[0].strip())
    return out


def essential(packages: Iterable[str]) -> set[str]:
    """Debian's Essential packages (coreutils, dash, sed...) among ``packages``: on every system, no list needs
    them."""
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Essential}\n", *packages], capture_output=True,
                          text=True, timeout=30)  # fmt: skip
    return {line.split()[0] for line in done.stdout.splitlines() if line.endswith(" yes")}


def unprovided(
    found: dict[str, list[str]], packages: set[str], venv_bin: Path, known: dict[str, str] = KNOWN_PACKAGES
) -> list[str]:
    """One line per executable that no listed (or Essential) package provides, naming where it is called."""
    outside = {n: w for n, w in found.items() if not (venv_bin / n).exists()}  # pip put zerocarbon, python there
    installed = dpkg_packages(outside)
    owner = {n: installed.get(n) or known.get(n) for n in outside}
    present = essential({p for p in owner.values() if p})
    problems = []
    for name, where in sorted(outside.items()):
        package, at = owner[name], ", ".join(sorted(set(where))[:3])
        if package is None:
            problems.append(f"{name} (called at {at}): not installed and no package known; add its Debian "
                            "package to scripts/system-deps.sh and to KNOWN_PACKAGES")  # fmt: skip
        elif name in installed and name in known and known[name] != installed[name]:
            problems.append(f"{name}: KNOWN_PACKAGES says {known[name]}, dpkg says {installed[name]}; correct the map")
        elif package not in packages | PREREQUISITES and package not in present:
            problems.append(f"{name} (called at {at}): its package {package} is not in scripts/system-deps.sh")
    return problems
