"""From the ``notifications`` section of the rules file to running channel workers."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.notify.email import EmailSender
from alerts.notify.mqtt import MqttSender
from alerts.notify.webhook import WebhookSender
from alerts.notify.worker import ChannelWorker
from alerts.rules import Channel, EmailChannel, MqttChannel, WebhookChannel


@dataclass(frozen=True)
class BrokerDefaults:
    """The broker an MQTT channel uses when it names none (the site's, or the settings' override)."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None


def open_channel(config: Channel, index: int, broker: BrokerDefaults = BrokerDefaults()) -> ChannelWorker:
    name = f"{config.channel}-{index}"
    if isinstance(config, WebhookChannel):
        send = WebhookSender(config)
    elif isinstance(config, EmailChannel):
        send = EmailSender(config)  # type: ignore[assignment]
    elif isinstance(config, MqttChannel):
        send = MqttSender(  # type: ignore[assignment]
            config,
            config.host or broker.host,
            config.port or broker.port,
            client_id=f"zerocarbon-alarms-{index}",
            username=broker.username,
            password=broker.password,
        )
    return ChannelWorker(name, config, send, closer=send.close)


def open_channels(configs: list[Channel], broker: BrokerDefaults = BrokerDefaults()) -> list[ChannelWorker]:
    return [open_channel(c, i, broker) for i, c in enumerate(configs)]
