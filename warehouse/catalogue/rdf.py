"""A small, deterministic RDF writer: Turtle and RDF/XML from a list of triples.

Only IRIs and literals exist here, so no blank node can slip into the
catalogue, and the output order is the order the triples were added in:
the same catalogue gives the same bytes on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class IRI:
    value: str


@dataclass(frozen=True)
class Literal:
    value: str
    lang: str | None = None
    datatype: str | None = None


Triple = tuple[IRI, IRI, IRI | Literal]


class Graph:
    """Triples grouped by subject in insertion order; duplicates are dropped."""

    def __init__(self) -> None:
        self._subjects: dict[IRI, list[tuple[IRI, IRI | Literal]]] = {}

    def add(self, subject: IRI, predicate: IRI, obj: IRI | Literal) -> None:
        pairs = self._subjects.setdefault(subject, [])
        if (predicate, obj) not in pairs:
            pairs.append((predicate, obj))

    def triples(self) -> list[Triple]:
        return [(s, p, o) for s, pairs in self._subjects.items() for p, o in pairs]

    def subjects(self) -> Iterable[tuple[IRI, list[tuple[IRI, IRI | Literal]]]]:
        return self._subjects.items()


def _split(iri: str, prefixes: Mapping[str, str]) -> tuple[str, str] | None:
    """(prefix, local name) when the IRI is in a known namespace with a simple local name."""
    for prefix, namespace in prefixes.items():
        local = iri[len(namespace) :]
        simple = (
            local and (local[0].isalpha() or local[0] == "_") and all(c.isalnum() or c in "_-" for c in local)
        )
        if iri.startswith(namespace) and simple:
            return prefix, local
    return None


def _turtle_term(term: IRI | Literal, prefixes: Mapping[str, str]) -> str:
    if isinstance(term, IRI):
        split = _split(term.value, prefixes)
        return f"{split[0]}:{split[1]}" if split else f"<{term.value}>"
    text = (
        term.value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    if term.lang:
        return f'"{text}"@{term.lang}'
    if term.datatype:
        return f'"{text}"^^{_turtle_term(IRI(term.datatype), prefixes)}'
    return f'"{text}"'


def to_turtle(graph: Graph, prefixes: Mapping[str, str]) -> bytes:
    """Turtle with one block per subject, rdf:type written as 'a'."""
    lines = [f"@prefix {p}: <{ns}> ." for p, ns in prefixes.items()]
    for subject, pairs in graph.subjects():
        lines.append("")
        statements = []
        for predicate, obj in pairs:
            verb = "a" if predicate.value == RDF + "type" else _turtle_term(predicate, prefixes)
            statements.append(f"    {verb} {_turtle_term(obj, prefixes)}")
        lines.append(f"<{subject.value}>")
        lines.append(" ;\n".join(statements) + " .")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _qname(iri: IRI, prefixes: Mapping[str, str]) -> str:
    split = _split(iri.value, prefixes)
    if split is None:
        raise ValueError(f"no namespace prefix for predicate or class {iri.value}")
    return f"{split[0]}:{split[1]}"


def _xml_property(predicate: IRI, obj: IRI | Literal, prefixes: Mapping[str, str]) -> str:
    name = _qname(predicate, prefixes)
    if isinstance(obj, IRI):
        return f"    <{name} rdf:resource={quoteattr(obj.value)}/>"
    attributes = ""
    if obj.lang:
        attributes = f" xml:lang={quoteattr(obj.lang)}"
    elif obj.datatype:
        attributes = f" rdf:datatype={quoteattr(obj.datatype)}"
    return f"    <{name}{attributes}>{escape(obj.value)}</{name}>"


def to_rdfxml(graph: Graph, prefixes: Mapping[str, str]) -> bytes:
    """RDF/XML (what dataportal.se harvests): one typed node element per subject."""
    prefixes = {"rdf": RDF, **prefixes}
    namespaces = "".join(f"\n    xmlns:{p}={quoteattr(ns)}" for p, ns in prefixes.items())
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f"<rdf:RDF{namespaces}>"]
    for subject, pairs in graph.subjects():
        types = [o for p, o in pairs if p.value == RDF + "type" and isinstance(o, IRI)]
        element = _qname(types[0], prefixes) if types else "rdf:Description"
        rest: Sequence[tuple[IRI, IRI | Literal]] = [
            (p, o) for p, o in pairs if not (types and p.value == RDF + "type" and o == types[0])
        ]
        lines.append(f"  <{element} rdf:about={quoteattr(subject.value)}>")
        lines += [_xml_property(p, o, prefixes) for p, o in rest]
        lines.append(f"  </{element}>")
    lines.append("</rdf:RDF>")
    return ("\n".join(lines) + "\n").encode("utf-8")
