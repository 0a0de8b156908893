"""Strict MQTT payloads: every malformed payload is a dead letter of a documented kind, the same through the lean
client and paho over a real mosquitto, and the valid readings published in between are all stored."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from collectors.mqtt import MqttCollector
from collectors.mqtt_payload import check_nesting, parse_payload
from models.errors import PayloadRejected
from models.loader import load_site
from models.reading import Quality
from models.site import Site
from tests.collectors.test_mqtt import ListSink, publish, start, wait_for
from tests.support.processes import Mosquitto

TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "collectors.md"
DOOR_TEMPLATE = {
    "id": "door-gateway", "protocol": "mqtt", "topic": "zc/{topic}/state", "timestamp_path": "ts",
    "points": [{"name": "open", "path": "open", "kind": "state"},
               {"name": "temp_c", "path": "temp_c", "unit": "degC", "kind": "temperature", "range": [-40, 85]},
               {"name": "people", "path": "people", "unit": "count", "kind": "count"}],
}
NOW = float(int(time.time()))  # whole seconds: some corpus payloads write it with %d


def door_site(tmp_path: Path, port: int) -> Site:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "door-gateway.yaml").write_text(yaml.safe_dump(DOOR_TEMPLATE))
    doc = {"site": {"id": "t", "name": "T", "latitude": 22.27, "longitude": 113.58, "timezone": "Asia/Shanghai",
                    "gross_floor_area_m2": 1000},
           "subsystems": [{"id": "security", "name_en": "Security", "name_zh": "安防"}],
           "energy_systems": {"grid": [{"id": "grid", "capacity_kva": 100, "meters": ["door"]}]},
           "mqtt": {"host": "127.0.0.1", "port": port},
           "devices": [{"id": "door", "subsystem": "security", "protocol": "mqtt", "template": "door-gateway",
                        "connection": {"topic": "door"}}]}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    return load_site(tmp_path / "site.yaml", templates)


def good(i: int) -> bytes:
    return json.dumps({"ts": NOW - 1000 + i, "open": False, "temp_c": 20.0 + i, "people": i}).encode()


def body(**fields: object) -> str:
    return json.dumps({"ts": NOW - 5000, "open": True, "temp_c": 21.5, "people": 3, **fields}, ensure_ascii=False)


TOPIC = "zc/door/state"
# (payload, dead-letter kind); every kind of docs/collectors.md but internal_error, which is a bug of ours
CORPUS: list[tuple[str, bytes, str]] = [
    (TOPIC, body().encode("utf-16"), "not_utf8"),  # UTF-16 with its BOM
    (TOPIC, body().encode("utf-16-le"), "not_utf8"),  # UTF-16 without one
    (TOPIC, b"\xef\xbb\xbf" + body().encode(), "not_utf8"),  # UTF-8 with a BOM
    (TOPIC, body(name="café").encode("latin-1"), "not_utf8"),
    (TOPIC, b'{"ts": %d, "temp_c": 20.5, "temp_c": 99.5, "open": true, "people": 1}' % (NOW - 10), "duplicate_key"),
    (TOPIC, b'{"ts": %d, "temp_c": NaN, "open": true, "people": 1}' % (NOW - 11), "not_finite"),
    (TOPIC, b'{"ts": %d, "temp_c": Infinity, "open": true, "people": 1}' % (NOW - 12), "not_finite"),
    (TOPIC, b'{"ts": %d, "temp_c": -Infinity, "open": true, "people": 1}' % (NOW - 13), "not_finite"),
    (TOPIC, b'{"ts": %d, "temp_c": 1e999, "open": true, "people": 1}' % (NOW - 14), "not_finite"),  # the field
    (TOPIC, b'{"a": ' * 5000 + b"1" + b"}" * 5000, "too_deep"),
    (TOPIC, b"[" * 5000 + b"]" * 5000, "too_deep"),
    (TOPIC, b'{"ts": 1, "temp_c": 2', "not_json"),
    (TOPIC, b"[1, 2]", "not_object"),
    (TOPIC, b'{"pad": "' + b"x" * 300_000 + b'"}', "huge"),
    ("zc/nobody/state", body().encode(), "unknown_topic"),
    (TOPIC, body(ts="yesterday").encode(), "bad_timestamp"),
    (TOPIC, body(ts=NOW + 30 * 365 * 86400).encode(), "timestamp_in_future"),
    (TOPIC, body(ts="1990-01-01T00:00:00Z").encode(), "timestamp_too_old"),
    (TOPIC, body(ts=NOW - 7001, temp_c=True).encode(), "wrong_type"),  # a boolean on a numeric point
    (TOPIC, body(ts=NOW - 7002, people="many").encode(), "wrong_type"),
    (TOPIC, body(ts=NOW - 7003, open=None).encode(), "missing_field"),
    (TOPIC, b'{"ts": %d, "temp_c": 1%s, "open": true, "people": 1}' % (NOW - 7004, b"0" * 400), "not_finite"),
]


@pytest.mark.parametrize("client", ["wire", "paho"])
def test_malformed_payloads_are_dead_letters_and_valid_ones_in_between_are_all_stored(
    tmp_path: Path, mosquitto: Mosquitto, client: str
) -> None:
    site, sink = door_site(tmp_path, mosquitto.port), ListSink()
    collector = start(site, sink, tmp_path, f"zc-strict-{client}", client=client)
    messages: list[tuple[str, bytes]] = []
    for i, (topic, payload, _) in enumerate(CORPUS):
        messages += [(TOPIC, good(i)), (topic, payload)]
    messages.append((TOPIC, json.dumps({"ts": NOW - 1, "open": True, "temp_c": 500.0, "people": 1}).encode()))
    publish(mosquitto.port, messages)
    wait_for(lambda: collector.received == len(messages))
    collector.stop()
    expected: dict[str, int] = {}
    for _, _, kind in CORPUS:
        expected[kind] = expected.get(kind, 0) + 1
    assert collector.stats()["dead_letters"] == expected
    got = {(r.point_id, r.ts): r for r in sink.readings}
    for i in range(len(CORPUS)):  # every valid reading published between the malformed ones is there, good
        ts = NOW - 1000 + i
        assert got[("door.temp_c", ts)].value == 20.0 + i and got[("door.temp_c", ts)].quality is Quality.GOOD
        assert got[("door.open", ts)].value == 0.0 and got[("door.people", ts)].value == i
    # a partly bad payload keeps its good fields: the boolean on temp_c is bad, the rest good
    assert got[("door.temp_c", NOW - 7001)].quality is Quality.BAD_PAYLOAD
    assert got[("door.temp_c", NOW - 14)].quality is Quality.BAD_PAYLOAD and got[("door.people", NOW - 14)].value == 1
    assert got[("door.people", NOW - 7001)].value == 3 and got[("door.open", NOW - 7001)].value == 1.0
    # out of range: kept, suspect, counted
    assert got[("door.temp_c", NOW - 1)].value == 500.0 and got[("door.temp_c", NOW - 1)].quality is Quality.SUSPECT
    assert collector.stats()["suspect_readings"] == {"door": 1}
    # nothing published with a rejected whole payload reached the store
    assert not [r for r in sink.readings if r.ts in (NOW - 10, NOW - 5000, NOW + 30 * 365 * 86400)]


def test_every_dead_letter_kind_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    kinds = {k for _, _, k in CORPUS} | {"internal_error"}
    assert {k for k in kinds if f"`{k}`" not in text} == set()


def test_the_depth_scan_ignores_brackets_inside_strings() -> None:
    deep_looking = json.dumps({"text": "[" * 100 + "{" * 100, "list": [[1]] * 40}).encode()
    check_nesting(deep_looking, 3)
    assert parse_payload(deep_looking)["text"].startswith("[[")
    tricky = b'{"a": "\\"[[[[", "b": [[[1]]], "c": [' + b"[1]," * 40 + b"[2]]}"  # escaped quote stays in a string
    check_nesting(tricky, 4)
    with pytest.raises(PayloadRejected) as info:
        check_nesting(tricky, 3)
    assert info.value.kind == "too_deep"


def test_brackets_that_do_not_pair_up_are_not_json_without_recursing() -> None:
    payload = b"[" * 5000 + b"{" + b"]" * 5001  # would recurse 5000 levels before the parser saw the mismatch
    with pytest.raises(PayloadRejected) as info:
        parse_payload(payload)
    assert info.value.kind == "not_json"


def test_a_timestamp_window_can_be_widened(tmp_path: Path) -> None:
    from collectors.mqtt_mapping import TimestampWindow

    site = door_site(tmp_path, 1883)
    collector = MqttCollector(site, site.devices, ListSink(), timestamp_window=TimestampWindow(ahead_s=600,
                                                                                             max_age_s=None))
    assert len(collector.handle(TOPIC, body(ts="1990-01-01T00:00:00Z").encode(), NOW)) == 3
    assert collector.handle(TOPIC, body(ts=NOW + 601).encode(), NOW) == []
    assert dict(collector.dead.counts) == {"timestamp_in_future": 1}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_any_valid_json_object_parses_as_the_standard_library_reads_it(obj: dict[str, object]) -> None:
    for text in (json.dumps(obj), json.dumps(obj, ensure_ascii=False)):
        assert parse_payload(text.encode()) == json.loads(text)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_parsed_or_refused_with_a_kind(data: bytes) -> None:
    try:
        parse_payload(data)
    except PayloadRejected as exc:
        assert exc.kind in {"not_utf8", "too_deep", "duplicate_key", "not_finite", "not_json", "not_object"}
