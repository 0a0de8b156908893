"""Channels deliver to real receivers; each is rate-limited and deduplicated; a dead one blocks nobody."""

from __future__ import annotations

import time

from alerts.notify.channels import BrokerDefaults, open_channel
from alerts.notify.message import Notification
from alerts.rules import EmailChannel, MqttChannel, WebhookChannel
from tests.alerts.receivers import MqttRecorder, SmtpReceiver, WebhookReceiver, wait_until
from tests.support.processes import free_port


def note(alarm_id: int = 1, event: str = "raised", priority: str = "critical") -> Notification:
    return Notification(
        alarm_id,
        event,
        "active_unack",
        priority,
        "storage-bms-alarm",
        "storage-1.bms_alarms",
        "storage-1",
        "storage-1.bms_alarms: OVER_TEMPERATURE (0x0004)",
        4.0,
        1_780_000_000.0,
        "zhuhai-csc",
    )


def test_webhook_posts_json_and_retries_a_busy_receiver() -> None:
    receiver = WebhookReceiver(fail_first=2)  # 503, 503, then accepted
    worker = open_channel(WebhookChannel(channel="webhook", url=receiver.url, max_backoff_s=0.2), 0)
    try:
        worker.notify(note())
        assert worker.flush(15)
        assert receiver.attempts == 3 and len(receiver.bodies) == 1
        body = receiver.bodies[0]
        assert (body["alarm_id"], body["event"], body["priority"]) == (1, "raised", "critical")
        assert body["time"] == "2026-05-28T20:26:40+00:00"  # 1,780,000,000 s after the epoch
        assert worker.stats.sent == 1 and worker.stats.failed == 0
    finally:
        worker.close()
        receiver.stop()


def test_duplicates_and_floods_are_held_back_per_channel(webhook: WebhookReceiver) -> None:
    config = WebhookChannel(channel="webhook", url=webhook.url, rate_per_minute=3, dedup_s=600)
    worker = open_channel(config, 0)
    try:
        for alarm_id in (1, 1, 2, 3, 4, 5):
            worker.notify(note(alarm_id))
        worker.notify(note(1, "cleared"))  # another event of alarm 1 is no duplicate, but the bucket is empty
        assert worker.flush(10)
        assert [b["alarm_id"] for b in webhook.bodies] == [1, 2, 3]  # bucket of 3; then dropped
        assert (worker.stats.deduplicated, worker.stats.rate_limited) == (1, 3)
    finally:
        worker.close()


def test_priority_and_event_filters(webhook: WebhookReceiver) -> None:
    config = WebhookChannel(channel="webhook", url=webhook.url, min_priority="high", events=["raised"])
    worker = open_channel(config, 0)
    try:
        worker.notify(note(1, priority="medium"))
        worker.notify(note(2, event="cleared"))
        worker.notify(note(3, priority="high"))
        assert worker.flush(10)
        assert [b["alarm_id"] for b in webhook.bodies] == [3]
        assert worker.stats.filtered == 2
    finally:
        worker.close()


def test_email_reaches_a_real_smtp_server(smtp: SmtpReceiver) -> None:
    config = EmailChannel(
        channel="email", host="127.0.0.1", port=smtp.port, sender="zc@example.org", to=["duty@example.org"]
    )
    worker = open_channel(config, 0)
    try:
        worker.notify(note())
        assert worker.flush(10)
        [mail] = smtp.messages
        assert mail["to"] == ["<duty@example.org>"]
        assert "Subject: [CRITICAL] raised: storage-1.bms_alarms: OVER_TEMPERATURE (0x0004)" in mail["data"]
    finally:
        worker.close()


def test_mqtt_publishes_on_the_priority_and_device_topic(mosquitto) -> None:  # type: ignore[no-untyped-def]
    recorder = MqttRecorder(mosquitto.port, "zerocarbon/alarms/#")
    worker = open_channel(MqttChannel(channel="mqtt"), 0, BrokerDefaults(port=mosquitto.port))
    try:
        worker.notify(note())
        assert worker.flush(10)
        assert wait_until(lambda: len(recorder.messages) == 1)
        topic, payload = recorder.messages[0]
        assert topic == "zerocarbon/alarms/critical/storage-1" and payload["alarm_id"] == 1
    finally:
        worker.close()
        recorder.stop()


def test_a_dead_channel_never_delays_the_others(webhook: WebhookReceiver, mosquitto) -> None:  # type: ignore[no-untyped-def]
    dead = open_channel(
        WebhookChannel(channel="webhook", url=f"http://127.0.0.1:{free_port()}/x", max_attempts=4, max_backoff_s=1.0), 0
    )
    alive = open_channel(WebhookChannel(channel="webhook", url=webhook.url), 1)
    try:
        started = time.monotonic()
        dead.notify(note())
        alive.notify(note())
        assert time.monotonic() - started < 0.1  # notify only queues
        assert wait_until(lambda: len(webhook.bodies) == 1, 5)
        assert dead.stats.sent == 0  # still retrying (0.5 + 1 + 1 s of backoff) while the other delivered
        assert dead.flush(10) and dead.stats.failed == 1
    finally:
        dead.close()
        alive.close()
