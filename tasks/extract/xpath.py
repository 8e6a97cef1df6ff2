"""CSS selectors of the simple kind CMS profiles and follow rules use, as XPath for lxml.

Compound selectors ('li.sv-channel-item', '#respond', '[class*=cookie]', 'a[href]')
joined by descendant (' ') or child ('>') combinators, and lists of them (','),
translate to XPath 1.0 that lxml evaluates in C. They match what
BeautifulSoup (soupsieve) matches on an HTML tree: classes and the other
whitespace-separated attributes compare word by word, tag names are lower
case. Anything else (pseudo-classes, sibling combinators, odd quoting) gives
None, and the caller goes on with BeautifulSoup.
"""

from __future__ import annotations

import re
from functools import cache

_COMPOUND = re.compile(r"^(?P<tag>[a-zA-Z][\w-]*|\*)?(?P<rest>(?:[.#][\w-]+|\[[^\]]+\])*)$")
_PART = re.compile(
    r"([.#])([\w-]+)|\[\s*([\w-]+)\s*(?:([*^$~|]?=)\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'\]]+))\s*)?\]"
)
# BeautifulSoup splits these into word lists (bs4's HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES).
_WORD_LISTS = frozenset(("class", "rel", "rev", "accept-charset", "headers", "accesskey", "dropzone"))


def _literal(value: str) -> str | None:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def _attribute(name: str, operator: str | None, value: str) -> str | None:
    name = name.lower()
    literal = _literal(value)
    if literal is None:
        return None
    attr = f"normalize-space(@{name})" if name in _WORD_LISTS else f"@{name}"
    if operator is None:
        return f"@{name}"
    if operator == "~=":
        padded = _literal(f" {value} ")
        return f"contains(concat(' ', normalize-space(@{name}), ' '), {padded})" if value else "false()"
    if operator == "=":
        return f"{attr}={literal}"
    if operator == "*=":
        return f"(@{name} and contains({attr}, {literal}))" if value else "false()"
    if operator == "^=":
        return f"(@{name} and starts-with({attr}, {literal}))" if value else "false()"
    if operator == "$=":
        if not value:
            return "false()"
        return f"(@{name} and substring({attr}, string-length({attr}) - {len(value) - 1})={literal})"
    if operator == "|=":
        dashed = _literal(f"{value}-")
        return f"({attr}={literal} or starts-with({attr}, {dashed}))"
    return None


def compound_test(selector: str) -> str | None:
    """The XPath predicate body for one compound selector ('li.item', '[id*=cookie]'), or None."""
    match = _COMPOUND.match(selector.strip())
    if not match or not (match.group("tag") or match.group("rest")):
        return None
    rest = match.group("rest")
    tests = []
    tag = match.group("tag")
    if tag and tag != "*":
        tests.append(f"self::{tag.lower()}")
    consumed = 0
    for part in _PART.finditer(rest):
        if part.start() != consumed:
            return None
        consumed = part.end()
        kind, name, attribute, operator, *values = part.groups()
        if kind == ".":
            tests.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')")
        elif kind == "#":
            tests.append(f"@id='{name}'")
        else:
            value = next((v for v in values if v is not None), "")
            test = _attribute(attribute, operator or None, value)
            if test is None:
                return None
            tests.append(test)
    if consumed != len(rest):
        return None
    return " and ".join(tests) if tests else "true()"


@cache
def selector_xpath(selector: str) -> str | None:
    """Absolute XPath finding, in document order, what a selector list finds; None if it is not simple."""
    alternatives = []
    for alternative in selector.split(","):
        steps = re.findall(r"[^\s>]+|>", alternative.strip())
        if not steps or steps[0] == ">" or steps[-1] == ">":
            return None
        path, axis = "", "descendant"
        for step in steps:
            if step == ">":
                if axis == "child":
                    return None
                axis = "child"
                continue
            test = compound_test(step)
            if test is None:
                return None
            path += f"/{axis}::*[{test}]"
            axis = "descendant"
        alternatives.append(path)
    return " | ".join(alternatives)
