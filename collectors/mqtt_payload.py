"""Strict JSON for MQTT payloads: one parser for the lean client and paho, so both accept and refuse the same bytes.

Python's ``json.loads`` is lenient in ways that store wrong numbers as good readings: it guesses UTF-16/32 from
the first bytes, keeps the last of duplicate keys, accepts ``NaN``/``Infinity`` and turns ``1e999`` into
infinity, and recurses once per nesting level (5000 levels raise ``RecursionError``). Here:

- UTF-8 only, no byte-order mark (RFC 8259 §8.1: "JSON text exchanged between systems that are not part of a
  closed ecosystem MUST be encoded using UTF-8" and "MUST NOT add a byte order mark") → ``not_utf8``;
- nesting deeper than ``max_depth`` is refused by a scan of the bytes *before* the parser recurses
  → ``too_deep``;
- duplicate keys in any object (RFC 8259 §4: names "SHOULD be unique"; which one wins is undefined)
  → ``duplicate_key``;
- ``NaN``, ``Infinity``, ``-Infinity`` and numbers beyond a double → ``not_finite``;
- anything else that is not JSON → ``not_json``; JSON that is not an object → ``not_object``.

Every refusal is a :class:`PayloadRejected` with its dead-letter kind (docs/collectors.md lists them all).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # a gateway's payload nests 3-4 levels; 32 leaves room and stays far below Python's recursion
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class PayloadRejected(ValueError):
    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


def nested_deeper_than(payload: bytes, limit: int) -> bool:
    """Whether ``[``/``{`` outside strings nest deeper than ``limit``. The bytes are not trusted to be JSON, so
    this never recurses; it stops at the first level past the limit."""
    if payload.count(b"{") + payload.count(b"[") <= limit:  # the common case: cannot be deeper, one C pass
        return False
    depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", payload)):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # rare: only then find which key
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise PayloadRejected("duplicate_key", f"key {key!r} appears more than once in one object")
            seen.add(key)
    return obj


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise PayloadRejected("not_finite", f"number {text[:40]} is beyond a double")
    return value


def _no_constant(name: str) -> float:
    raise PayloadRejected("not_finite", f"{name} is not a JSON number (RFC 8259 §6)")


def parse_payload(payload: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The JSON object of a payload, or :class:`PayloadRejected` saying why not."""
    if payload.startswith(_BOMS):
        raise PayloadRejected("not_utf8", "starts with a byte-order mark; send UTF-8 without one (RFC 8259 §8.1)")
    if b"\0" in payload:  # JSON never holds a raw NUL: this is UTF-16/32 without a byte-order mark
        raise PayloadRejected("not_utf8", "holds NUL bytes (UTF-16 or UTF-32 text?); send UTF-8 (RFC 8259 §8.1)")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadRejected("not_utf8", f"not UTF-8 at byte {exc.start} (RFC 8259 §8.1; UTF-16 is refused)") from None
    if nested_deeper_than(payload, max_depth):
        raise PayloadRejected("too_deep", f"nested more than {max_depth} levels")
    try:
        data = json.loads(text, object_pairs_hook=_unique, parse_float=_finite_float, parse_constant=_no_constant)
    except PayloadRejected:
        raise
    except ValueError as exc:
        raise PayloadRejected("not_json", str(exc)) from None
    if not isinstance(data, dict):
        raise PayloadRejected("not_object", f"payload is a JSON {type(data).__name__}, not an object")
    return data
