"""Entry point of the open-data catalogue, kept here for the flow's task (tasks/steps.py).

The catalogue itself lives in warehouse/catalogue/: see publish.py there.
"""

from warehouse.catalogue.publish import publish_catalogue

__all__ = ["publish_catalogue"]
