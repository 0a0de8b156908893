"""Notification channels: MQTT topic, webhook (JSON POST), e-mail (SMTP).

Each channel runs in its own :class:`~alerts.notify.worker.ChannelWorker` thread with a bounded queue, a rate
limit and deduplication, so a dead SMTP server or webhook never slows alarm evaluation or the other channels.
"""
