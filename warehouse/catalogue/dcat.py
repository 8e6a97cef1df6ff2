"""catalog.rdf and catalog.ttl: the DCAT-AP-SE 3.0.1 description dataportal.se harvests.

One catalogue, one dataset per published table, one distribution per file
format. Every node has an absolute IRI (no blank nodes), every dataset a
stable UUID in dct:identifier, the publisher a dct:type, the licence is CC0 in
its canonical IRI. Formats are EU file-type IRIs plus IANA media types, and
the vocabulary IRIs are typed in the graph so the DCAT-AP range shapes hold
without fetching the vocabularies.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rdflib import URIRef

from warehouse.catalogue.config import CatalogueConfig
from warehouse.catalogue.rdf import IRI, RDF, XSD, Graph, Literal, to_rdfxml, to_turtle
from warehouse.catalogue.schema import Table

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SPDX = "http://spdx.org/rdf/terms#"
DCATAP = "http://data.europa.eu/r5r/"
PREFIXES = {
    "rdf": RDF,
    "xsd": XSD,
    "dcat": DCAT,
    "dct": DCT,
    "foaf": FOAF,
    "vcard": VCARD,
    "skos": SKOS,
    "spdx": SPDX,
    "dcatap": DCATAP,
}
EU = "http://publications.europa.eu/resource/authority/"
FILE_TYPE = EU + "file-type/"
IANA = "https://www.iana.org/assignments/media-types/"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
SWEDISH = EU + "language/SWE"
SWEDEN = "http://sws.geonames.org/2661886/"
DAILY = EU + "frequency/DAILY"
PUBLIC = EU + "access-right/PUBLIC"
DATA_THEME = EU + "data-theme"
THEMES = {
    "SOCI": ("Befolkning och samhälle", "Population and society"),
    "GOVE": ("Regeringen och den offentliga sektorn", "Government and public sector"),
}
SHA256 = SPDX + "checksumAlgorithm_sha256"
STABLE = DCATAP + "availability/stable"
PUBLIC_DOMAIN = "http://purl.org/adms/licencetype/PublicDomain"
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
# Sweden's extent and GeoNames' centre point for it (longitude latitude, WGS 84).
SWEDEN_BBOX = "POLYGON((10.96 55.34, 24.17 55.34, 24.17 69.06, 10.96 69.06, 10.96 55.34))"
SWEDEN_CENTROID = "POINT(15 62)"


@dataclass(frozen=True)
class Format:
    """A file format: its file-type code (EU vocabulary) and IANA media type, if registered."""

    extension: str
    file_type: str
    media_type: str | None
    label: str


FORMATS = {
    "csv": Format("csv", "CSV", "text/csv", "CSV"),
    "parquet": Format("parquet", "PARQUET", "application/vnd.apache.parquet", "Parquet"),
    # JSON Lines has no registered media type: the file type says JSON, the title says JSON Lines.
    "jsonl": Format("jsonl", "JSON", None, "JSON Lines"),
    "json": Format("json", "JSON", "application/json", "JSON"),
    "ics": Format("ics", "ICS", "text/calendar", "iCalendar"),
    "jsonld": Format("jsonld", "JSON_LD", "application/ld+json", "JSON-LD (schema.org Event)"),
    "atom": Format("atom", "ATOM", "application/atom+xml", "Atom"),
}


DESCRIPTIONS = {
    "csv": "Hela datamängden som CSV (UTF-8 med BOM, fungerar i Excel); se datapackage.json.",
    "parquet": "Hela datamängden som typad Parquet.",
    "jsonl": "Hela datamängden som JSON Lines, ett objekt per rad.",
    "json": "Hela datamängden som en JSON-lista.",
    "ics": "Mötena som kalender (iCalendar) att prenumerera på.",
    "jsonld": "Mötena som schema.org Event i JSON-LD.",
    "atom": "Nya, ändrade och inställda möten som Atom-flöde.",
}


@dataclass(frozen=True)
class Distribution:
    """One downloadable file of a dataset."""

    path: str
    format: Format

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.format.extension, "Hela datamängden som en fil.")


def dataset_uuid(config: CatalogueConfig, table: Table) -> str:
    """A UUID that stays the same for a publisher's dataset across releases and hosts."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{config.publisher_iri}#kommundialog/{table.name}"))


def dataset_iri(config: CatalogueConfig, table: Table) -> str:
    return f"{config.base_url}dataset/{table.name}"


def catalog_iri(config: CatalogueConfig) -> str:
    return f"{config.base_url}catalog"


def distributions_for(table: Table, extras: Sequence[str] = ()) -> list[Distribution]:
    """The table files (CSV, Parquet, JSON Lines) plus any extra files named by path."""
    paths = [f"{table.name}.csv", f"{table.name}.parquet", f"{table.name}.jsonl", *extras]
    return [Distribution(path, FORMATS[path.rsplit(".", 1)[1]]) for path in paths]


def _typed(graph: Graph, subject: str, *classes: str) -> URIRef:
    node = IRI(subject)
    for cls in classes:
        graph.add((node, IRI(RDF + "type"), IRI(cls)))
    return node


def _add_vocabulary(graph: Graph, config: CatalogueConfig, formats: Sequence[Format]) -> None:
    """Type and label the controlled-vocabulary IRIs the catalogue uses."""
    _typed(graph, CC0, DCT + "LicenseDocument")
    graph.add((IRI(CC0), IRI(DCT + "title"), Literal("Creative Commons Zero v1.0 Universal", lang="en")))
    graph.add((IRI(CC0), IRI(DCT + "type"), IRI(PUBLIC_DOMAIN)))
    licence_type = _typed(graph, PUBLIC_DOMAIN, SKOS + "Concept")
    graph.add((licence_type, IRI(SKOS + "prefLabel"), Literal("Public domain", lang="en")))
    stable = _typed(graph, STABLE, SKOS + "Concept")
    graph.add((stable, IRI(SKOS + "prefLabel"), Literal("stable", lang="en")))
    kind = _typed(graph, config.publisher_type_iri, SKOS + "Concept")
    graph.add((kind, IRI(SKOS + "prefLabel"), Literal(config.publisher_type_label, lang="en")))
    _typed(graph, SWEDISH, DCT + "LinguisticSystem")
    sweden = _typed(graph, SWEDEN, DCT + "Location")
    graph.add((sweden, IRI(SKOS + "prefLabel"), Literal("Sverige", lang="sv")))
    graph.add((sweden, IRI(DCAT + "bbox"), Literal(SWEDEN_BBOX, datatype=WKT)))
    graph.add((sweden, IRI(DCAT + "centroid"), Literal(SWEDEN_CENTROID, datatype=WKT)))
    daily = _typed(graph, DAILY, DCT + "Frequency")
    graph.add((daily, IRI(SKOS + "prefLabel"), Literal("daily", lang="en")))
    public = _typed(graph, PUBLIC, DCT + "RightsStatement")
    graph.add((public, IRI(SKOS + "prefLabel"), Literal("public", lang="en")))
    scheme = _typed(graph, DATA_THEME, SKOS + "ConceptScheme")
    graph.add((scheme, IRI(DCT + "title"), Literal("Data theme", lang="en")))
    for code, (label_sv, label_en) in THEMES.items():
        theme = _typed(graph, f"{DATA_THEME}/{code}", SKOS + "Concept")
        graph.add((theme, IRI(SKOS + "prefLabel"), Literal(label_sv, lang="sv")))
        graph.add((theme, IRI(SKOS + "prefLabel"), Literal(label_en, lang="en")))
        graph.add((theme, IRI(SKOS + "inScheme"), scheme))
    _typed(graph, SHA256, SPDX + "ChecksumAlgorithm")
    _typed(graph, config.base_url, FOAF + "Document")
    for fmt in formats:
        _typed(graph, FILE_TYPE + fmt.file_type, DCT + "MediaTypeOrExtent")
        if fmt.media_type:
            _typed(graph, IANA + fmt.media_type, DCT + "MediaType")


def _add_publisher(graph: Graph, config: CatalogueConfig) -> URIRef:
    publisher = _typed(graph, config.publisher_iri, FOAF + "Agent", FOAF + "Organization")
    graph.add((publisher, IRI(FOAF + "name"), Literal(config.publisher_name)))
    graph.add((publisher, IRI(DCT + "type"), IRI(config.publisher_type_iri)))
    return publisher


def _add_contact(graph: Graph, config: CatalogueConfig) -> URIRef:
    contact = _typed(graph, f"{config.base_url}#kontakt", VCARD + "Organization", VCARD + "Kind")
    graph.add((contact, IRI(VCARD + "fn"), Literal(config.publisher_name)))
    graph.add((contact, IRI(VCARD + "hasEmail"), IRI(f"mailto:{config.contact_email}")))
    return contact


def _add_distribution(
    graph: Graph, config: CatalogueConfig, dataset: str, dist: Distribution, content: bytes, updated_at: str
) -> URIRef:
    node = _typed(graph, f"{dataset}/{dist.format.extension}", DCAT + "Distribution")
    url = f"{config.base_url}{dist.path}"
    graph.add((node, IRI(DCT + "title"), Literal(f"{dist.path} ({dist.format.label})", lang="sv")))
    graph.add((node, IRI(DCT + "description"), Literal(dist.description, lang="sv")))
    graph.add((node, IRI(DCAT + "accessURL"), IRI(url)))
    graph.add((node, IRI(DCAT + "downloadURL"), IRI(url)))
    graph.add((node, IRI(DCT + "format"), IRI(FILE_TYPE + dist.format.file_type)))
    if dist.format.media_type:
        graph.add((node, IRI(DCAT + "mediaType"), IRI(IANA + dist.format.media_type)))
    graph.add((node, IRI(DCT + "license"), IRI(CC0)))
    graph.add((node, IRI(DCATAP + "availability"), IRI(STABLE)))
    graph.add((node, IRI(DCAT + "byteSize"), Literal(str(len(content)), datatype=XSD + "nonNegativeInteger")))
    graph.add((node, IRI(DCT + "modified"), Literal(updated_at, datatype=XSD + "dateTime")))
    checksum = _typed(graph, f"{node}#sha256", SPDX + "Checksum")
    graph.add((checksum, IRI(SPDX + "algorithm"), IRI(SHA256)))
    graph.add(
        (
            checksum,
            IRI(SPDX + "checksumValue"),
            Literal(hashlib.sha256(content).hexdigest(), datatype=XSD + "hexBinary"),
        )
    )
    graph.add((node, IRI(SPDX + "checksum"), checksum))
    return node


def _add_dataset(
    graph: Graph,
    config: CatalogueConfig,
    table: Table,
    distributions: Sequence[Distribution],
    files: Mapping[str, bytes],
    updated_at: str,
    period: tuple[str, str] | None,
) -> URIRef:
    iri = dataset_iri(config, table)
    node = _typed(graph, iri, DCAT + "Dataset")
    graph.add((node, IRI(DCT + "title"), Literal(table.title_sv, lang="sv")))
    graph.add((node, IRI(DCT + "title"), Literal(table.title_en, lang="en")))
    graph.add((node, IRI(DCT + "description"), Literal(table.description_sv, lang="sv")))
    graph.add((node, IRI(DCT + "description"), Literal(table.description_en, lang="en")))
    graph.add((node, IRI(DCT + "identifier"), Literal(dataset_uuid(config, table))))
    graph.add((node, IRI(DCT + "publisher"), IRI(config.publisher_iri)))
    graph.add((node, IRI(DCAT + "contactPoint"), IRI(f"{config.base_url}#kontakt")))
    graph.add((node, IRI(DCAT + "landingPage"), IRI(config.base_url)))
    for keyword in table.keywords:
        graph.add((node, IRI(DCAT + "keyword"), Literal(keyword, lang="sv")))
    for code in THEMES:
        graph.add((node, IRI(DCAT + "theme"), IRI(f"{DATA_THEME}/{code}")))
    graph.add((node, IRI(DCT + "language"), IRI(SWEDISH)))
    graph.add((node, IRI(DCT + "spatial"), IRI(SWEDEN)))
    graph.add((node, IRI(DCT + "accrualPeriodicity"), IRI(DAILY)))
    graph.add((node, IRI(DCT + "accessRights"), IRI(PUBLIC)))
    graph.add((node, IRI(DCT + "modified"), Literal(updated_at, datatype=XSD + "dateTime")))
    if period:
        span = _typed(graph, f"{iri}#period", DCT + "PeriodOfTime")
        graph.add((span, IRI(DCAT + "startDate"), Literal(period[0], datatype=XSD + "date")))
        graph.add((span, IRI(DCAT + "endDate"), Literal(period[1], datatype=XSD + "date")))
        graph.add((node, IRI(DCT + "temporal"), span))
    for dist in distributions:
        graph.add((node, IRI(DCAT + "distribution"), IRI(f"{iri}/{dist.format.extension}")))
    for dist in distributions:
        _add_distribution(graph, config, iri, dist, files[dist.path], updated_at)
    return node


def build_catalog(
    config: CatalogueConfig,
    datasets: Sequence[tuple[Table, Sequence[Distribution], tuple[str, str] | None]],
    files: Mapping[str, bytes],
    updated_at: str,
    issued: str,
) -> Graph:
    """The whole catalogue graph: catalogue, publisher, contact, datasets, distributions, vocabulary."""
    graph = Graph()
    catalog = _typed(graph, catalog_iri(config), DCAT + "Catalog")
    graph.add((catalog, IRI(DCT + "title"), Literal(config.title_sv, lang="sv")))
    graph.add((catalog, IRI(DCT + "title"), Literal(config.title_en, lang="en")))
    graph.add((catalog, IRI(DCT + "description"), Literal(config.description_sv, lang="sv")))
    graph.add((catalog, IRI(DCT + "description"), Literal(config.description_en, lang="en")))
    graph.add((catalog, IRI(DCT + "publisher"), IRI(config.publisher_iri)))
    graph.add((catalog, IRI(DCT + "license"), IRI(CC0)))
    graph.add((catalog, IRI(FOAF + "homepage"), IRI(config.base_url)))
    graph.add((catalog, IRI(DCT + "language"), IRI(SWEDISH)))
    graph.add((catalog, IRI(DCT + "spatial"), IRI(SWEDEN)))
    graph.add((catalog, IRI(DCT + "issued"), Literal(issued, datatype=XSD + "dateTime")))
    graph.add((catalog, IRI(DCT + "modified"), Literal(updated_at, datatype=XSD + "dateTime")))
    graph.add((catalog, IRI(DCAT + "themeTaxonomy"), IRI(DATA_THEME)))
    for table, _, _ in datasets:
        graph.add((catalog, IRI(DCAT + "dataset"), IRI(dataset_iri(config, table))))
    _add_publisher(graph, config)
    _add_contact(graph, config)
    for table, distributions, period in datasets:
        _add_dataset(graph, config, table, distributions, files, updated_at, period)
    formats = list({d.format.extension: d.format for _, dists, _ in datasets for d in dists}.values())
    _add_vocabulary(graph, config, formats)
    return graph


def render_catalog(graph: Graph) -> dict[str, bytes]:
    """The same graph as RDF/XML (harvested) and Turtle (read by people)."""
    return {"catalog.rdf": to_rdfxml(graph, PREFIXES), "catalog.ttl": to_turtle(graph, PREFIXES)}
