"""Alerts: one webhook notification when a source turns broken or recovers.

The webhook URL is `settings.alert_webhook` in the registry. The body is JSON
with a `text` line (what chat webhooks show) and the details as fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Alert:
    """A source's change of health, as announced."""

    source_id: str
    municipality: str
    health: str
    previous: str | None
    reasons: tuple[str, ...]
    run_id: str

    @property
    def text(self) -> str:
        if self.health == "broken":
            return f"kommundialog: source {self.source_id} ({self.municipality}) is broken: " + "; ".join(
                self.reasons
            )
        return f"kommundialog: source {self.source_id} ({self.municipality}) recovered: now {self.health}"

    def payload(self) -> dict[str, object]:
        return {
            "text": self.text,
            "source_id": self.source_id,
            "municipality": self.municipality,
            "health": self.health,
            "previous_health": self.previous,
            "reasons": list(self.reasons),
            "run_id": self.run_id,
        }


def channel_name(webhook_url: str) -> str:
    """How an alert's channel is recorded: never the full URL (webhook URLs often hold a secret)."""
    return f"webhook {urlsplit(webhook_url).netloc}"


def send_webhook(webhook_url: str, alert: Alert, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> str | None:
    """POST the alert as JSON; None when the receiver accepted it (2xx), else why it failed."""
    try:
        response = requests.post(webhook_url, json=alert.payload(), timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return f"webhook unreachable: {type(exc).__name__}"
    if not 200 <= response.status_code < 300:
        return f"webhook answered HTTP {response.status_code}"
    return None
