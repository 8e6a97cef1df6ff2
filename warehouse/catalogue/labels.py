"""Published labels of the catalogue's codes: Swedish for the pages and calendars, English beside them."""

from __future__ import annotations

# Labels of meetings.activity (tasks/records.py ACTIVITIES), in that order.
ACTIVITY_SV = {
    "dialogue": "Dialog",
    "council": "Råd",
    "committee": "Nämnd och fullmäktige",
    "information": "Informationsmöte",
    "other": "Övrigt",
}
ACTIVITY_EN = {
    "dialogue": "dialogue",
    "council": "council",
    "committee": "committee",
    "information": "information",
    "other": "other",
}
# Sign-up channels (config/vocabulary.yaml registration_channels) as the page shows them.
CHANNEL_SV = {
    "e_service": "E-tjänst",
    "phone": "Telefon",
    "sms": "SMS",
    "email": "E-post",
}


def activity_label(activity: str | None) -> str:
    """The Swedish label of an activity code; unknown codes as they are."""
    return ACTIVITY_SV.get(activity or "other", activity or "")


def channel_label(channel: str) -> str:
    return CHANNEL_SV.get(channel, channel.replace("_", " "))
