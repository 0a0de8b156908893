"""E-mail channel: one plain-text message per notification over SMTP (optionally STARTTLS and login)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from alerts.notify.message import Notification
from alerts.rules import EmailChannel


class EmailSender:
    def __init__(self, config: EmailChannel) -> None:
        self.config = config

    def __call__(self, note: Notification) -> None:
        c = self.config
        with smtplib.SMTP(c.host, c.port, timeout=c.timeout_s) as smtp:
            if c.starttls:
                smtp.starttls()
            if c.username:
                smtp.login(c.username, c.password or "")
            smtp.send_message(self.message(note))

    def message(self, note: Notification) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = note.subject
        msg["From"] = self.config.sender
        msg["To"] = ", ".join(self.config.to)
        lines = [f"{key}: {value}" for key, value in note.as_json().items()]
        msg.set_content("\n".join(lines) + "\n")
        return msg

    def close(self) -> None:
        pass
