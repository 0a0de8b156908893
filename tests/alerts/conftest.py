"""Fixtures for alarm tests: a rules file written for the test, a journal, an engine, real receivers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alerts.journal import AlarmJournal
from alerts.rule_loader import RuleSet, load_rules
from tests.alerts.receivers import SmtpReceiver, WebhookReceiver


def write_rules(tmp_path: Path, rules: list[dict], **top: object) -> Path:
    path = tmp_path / "alarms.yaml"
    path.write_text(yaml.safe_dump({**top, "rules": rules}, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def rules_for(tmp_path: Path, site):  # type: ignore[no-untyped-def]
    def build(rules: list[dict], **top: object) -> RuleSet:
        return load_rules(write_rules(tmp_path, rules, **top), site)

    return build


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[AlarmJournal]:
    j = AlarmJournal(tmp_path / "alarms.sqlite")
    yield j
    j.close()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    yield receiver
    receiver.stop()
