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
- ``NaN``, ``Infinity``, ``-Infinity`` → ``not_finite``; a number beyond a double (``1e999`` reads as infinity)
  is refused as ``not_finite`` by the field that holds it (:mod:`collectors.mqtt_mapping`), so the parser needs
  no Python call per number;
- anything else that is not JSON → ``not_json``; JSON that is not an object → ``not_object``.

Every refusal is a :class:`PayloadRejected` with its dead-letter kind (docs/collectors.md lists them all).
"""

from __future__ import annotations

import json
import re
from typing import Any

from models.errors import PayloadRejected

MAX_DEPTH = 32  # a gateway's payload nests 3-4 levels; 32 leaves room and stays far below Python's recursion
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING_NOW = re.compile(rb'"[^"]*"')  # a string once escapes are gone and only quotes and brackets are left
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")



def check_nesting(payload: bytes, limit: int) -> None:
    """Refuse ``[``/``{`` nested deeper than ``limit`` outside strings (``too_deep``), or brackets that do not
    pair up (``not_json``), without recursing: the bytes are not trusted to be JSON. Every pass runs in C: the
    brackets outside strings are kept, then each pass deletes the innermost ``{}``/``[]`` pairs, so a JSON
    text of depth d is empty after d passes (measured in bench/bench_decode.py)."""
    if payload.count(b"{") + payload.count(b"[") <= limit:  # the common case: cannot be deeper, one C pass
        return
    if b"\\" in payload:
        payload = _ESCAPE.sub(b"", payload)  # an escaped quote must not end a string
    structure = payload.translate(None, _NOT_STRUCTURE).replace(b'""', b"")  # quotes and brackets; bare strings out
    if b'"' in structure:  # strings holding brackets
        structure = _STRING_NOW.sub(b"", structure)
    for _ in range(limit):
        if not structure:
            return
        inner = structure.replace(b"{}", b"").replace(b"[]", b"")
        if inner == structure:
            raise PayloadRejected("not_json", "brackets or quotes do not pair up")
        structure = inner
    if structure:
        raise PayloadRejected("too_deep", f"nested more than {limit} levels")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # rare: only then find which key
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise PayloadRejected("duplicate_key", f"key {key!r} appears more than once in one object")
            seen.add(key)
    return obj


def _no_constant(name: str) -> float:
    raise PayloadRejected("not_finite", f"{name} is not a JSON number (RFC 8259 §6)")


# built once: json.loads(..., hook=...) builds a decoder and its scanner on every call (~5 us)
_DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constant)


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
    check_nesting(payload, max_depth)
    try:
        data = _DECODER.decode(text)
    except PayloadRejected:
        raise
    except RecursionError:  # cannot happen after check_nesting; kept so a parser change never means a crash
        raise PayloadRejected("too_deep", "nested too deep for the parser") from None
    except ValueError as exc:
        raise PayloadRejected("not_json", str(exc)) from None
    if not isinstance(data, dict):
        raise PayloadRejected("not_object", f"payload is a JSON {type(data).__name__}, not an object")
    return data
