"""The small JSON path language of MQTT templates: dotted keys with list indexes, ``chw.supply[0].temp``.

Compiled once per template point into a tuple of keys and indexes; looking one up is a short loop.
"""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

Path = tuple[str | int, ...]


def compile_path(text: str) -> Path:
    steps: list[str | int] = []
    pos = 0
    for match in _STEP.finditer(text):
        gap = text[pos : match.start()]
        if gap not in ("", "."):
            raise ValueError(f"JSON path {text!r}: unexpected {gap!r} at {pos}")
        key, index = match.groups()
        steps.append(int(index) if index is not None else key)
        pos = match.end()
    if not steps or pos != len(text):
        raise ValueError(f"JSON path {text!r}: write it as keys separated by dots, with [n] for list items")
    return tuple(steps)


def lookup(data: Any, path: Path) -> Any:
    """The value at ``path``, or None when any step is missing or of the wrong kind."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return None
        elif not isinstance(data, dict):
            return None
        else:
            data = data.get(step)
            continue
        data = data[step]
    return data
