"""The open-data catalogue: release layout, data files, calendars, linked data and web pages."""

from warehouse.catalogue.publish import publish_catalogue

__all__ = ["publish_catalogue"]
