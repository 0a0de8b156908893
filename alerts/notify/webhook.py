"""Webhook channel: the notification as a JSON POST, retried with capped exponential backoff."""

from __future__ import annotations

import time

import httpx

from alerts.notify.message import Notification
from alerts.rules import WebhookChannel

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookSender:
    def __init__(self, config: WebhookChannel, first_backoff_s: float = 0.5) -> None:
        self.config = config
        self.first_backoff_s = first_backoff_s
        self._client = httpx.Client(timeout=config.timeout_s, headers={"User-Agent": "zerocarbon-alarms"})

    def __call__(self, note: Notification) -> None:
        error: Exception | None = None
        for attempt in range(self.config.max_attempts):
            if attempt:
                time.sleep(min(self.config.max_backoff_s, self.first_backoff_s * 2 ** (attempt - 1)))
            try:
                response = self._client.post(self.config.url, json=note.as_json())
            except httpx.TransportError as exc:
                error = exc
                continue
            if response.status_code < 300:
                return
            error = RuntimeError(f"POST {self.config.url} answered {response.status_code}")
            if response.status_code not in RETRY_STATUS:
                break  # the receiver refuses this message; retrying will not change its mind
        raise RuntimeError(f"webhook {self.config.url}: gave up after {attempt + 1} attempt(s): {error}")

    def close(self) -> None:
        self._client.close()
