"""RDF through rdflib: Turtle and RDF/XML of the catalogue graph, the same bytes on every run.

rdflib writes both syntaxes; what it leaves to chance is order. The graph is
copied into an insertion-ordered store with its triples sorted (the RDF/XML
writer walks the store in that order; the Turtle writer sorts by itself),
and the RDF/XML namespace declarations, which rdflib collects in a set, are
put in order by Canonical XML (C14N 1.0, through lxml): the
same triples give the same bytes whatever order they were added in and
whatever the process's hash seed. Only IRIs
and literals are used (no blank nodes), and literals keep the lexical form
they were given (`normalize=False`), so a date-time stays `...Z`.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree
from rdflib import RDF as RDF_NS
from rdflib import XSD as XSD_NS
from rdflib import Graph, URIRef
from rdflib import Literal as RdfLiteral

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
RDF = str(RDF_NS)
XSD = str(XSD_NS)

__all__ = ["IRI", "RDF", "XSD", "Graph", "Literal", "to_rdfxml", "to_turtle"]


def IRI(value: str) -> URIRef:
    """An IRI node."""
    return URIRef(value)


def Literal(value: str, lang: str | None = None, datatype: str | None = None) -> RdfLiteral:
    """A literal with its lexical form kept as given (language-tagged or typed)."""
    return RdfLiteral(value, lang=lang, datatype=URIRef(datatype) if datatype else None, normalize=False)


def _sorted_copy(graph: Graph, prefixes: Mapping[str, str]) -> Graph:
    """The same triples in sorted order, with the prefixes bound in the order given."""
    ordered = Graph(store="SimpleMemory", bind_namespaces="core")
    for prefix, namespace in prefixes.items():
        ordered.bind(prefix, namespace, override=True, replace=True)
    for triple in sorted(graph):
        ordered.add(triple)
    return ordered


def to_turtle(graph: Graph, prefixes: Mapping[str, str]) -> bytes:
    """Turtle (read by people): rdflib's serialiser, subjects and predicates sorted."""
    return _sorted_copy(graph, prefixes).serialize(format="turtle", encoding="utf-8")


def to_rdfxml(graph: Graph, prefixes: Mapping[str, str]) -> bytes:
    """RDF/XML (what dataportal.se harvests): one typed node element per subject, none nested."""
    written = _sorted_copy(graph, prefixes).serialize(format="pretty-xml", encoding="utf-8", max_depth=1)
    canonical = etree.tostring(etree.fromstring(written), method="c14n")
    return XML_DECLARATION.encode("utf-8") + canonical + b"\n"
