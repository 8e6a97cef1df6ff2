"""datapackage.json: the Frictionless description of the CSV tables, with sizes and checksums.

`frictionless validate datapackage.json` checks every CSV against it: types,
constraints, primary and foreign keys, byte counts and SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from warehouse.catalogue.config import CatalogueConfig
from warehouse.catalogue.schema import Table

CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"


def resource(table: Table, content: bytes) -> dict[str, Any]:
    """One CSV table as a Data Package resource."""
    schema: dict[str, Any] = {
        "fields": [c.table_schema() for c in table.columns],
        "primaryKey": [table.primary_key],
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": [fk.column], "reference": {"resource": fk.table, "fields": [fk.table_column]}}
            for fk in table.foreign_keys
        ]
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "title": f"{table.title_sv} ({table.title_en})",
        "description": table.description_en,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(content),
        "hash": "sha256:" + hashlib.sha256(content).hexdigest(),
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
        "schema": schema,
    }


def render_datapackage(
    config: CatalogueConfig, tables: Sequence[Table], csv_files: Mapping[str, bytes], updated_at: str
) -> bytes:
    """The package descriptor; `updated_at` is the data's own time, never the clock."""
    package = {
        "name": "kommundialog",
        "title": config.title_en,
        "description": config.description_en,
        "homepage": config.base_url,
        "created": updated_at,
        "licenses": [{"name": "CC0-1.0", "path": CC0, "title": "Creative Commons Zero v1.0 Universal"}],
        "contributors": [{"title": config.publisher_name, "path": config.publisher_iri, "role": "publisher"}],
        "keywords": ["medborgardialog", "dialogmöte", "socialtjänst", "kommun", "öppna data"],
        "resources": [resource(t, csv_files[f"{t.name}.csv"]) for t in tables],
    }
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
