"""Fast matching of the simple CSS selectors that CMS profiles use.

soupsieve handles any selector but costs ~20 µs per element and selector;
profiles mostly say 'nav', '.sv-related', '#respond' or '[class*=cookie]'.
Those compile here to plain predicates and are matched in one pass over the
tree; anything more complex (descendant combinators, pseudo-classes) still
goes to soupsieve.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

from bs4 import BeautifulSoup, Tag

Predicate = Callable[[Tag], bool]

_SIMPLE = re.compile(r"^(?P<tag>[a-zA-Z][\w-]*|\*)?(?P<rest>(?:[.#][\w-]+|\[[^\]]+\])*)$")
_PART = re.compile(r"([.#])([\w-]+)|\[\s*([\w:-]+)\s*(?:([*^$~|]?=)\s*[\"']?([^\"'\]]*)[\"']?\s*)?\]")


def _attribute_test(name: str, operator: str | None, value: str) -> Predicate:
    def values(tag: Tag) -> list[str] | None:
        raw = tag.get(name)
        if raw is None:
            return None
        return raw if isinstance(raw, list) else [str(raw)]

    if operator is None:
        return lambda tag: tag.has_attr(name)
    if operator == "~=" or (name == "class" and operator == "="):
        return lambda tag: (
            value in (values(tag) or []) if operator == "~=" else " ".join(values(tag) or []) == value
        )
    joined: Callable[[Tag], str | None] = lambda tag: None if (v := values(tag)) is None else " ".join(v)  # noqa: E731
    tests: dict[str, Callable[[str], bool]] = {
        "=": lambda text: text == value,
        "*=": lambda text: value in text,
        "^=": lambda text: text.startswith(value),
        "$=": lambda text: text.endswith(value),
        "|=": lambda text: text == value or text.startswith(value + "-"),
    }
    test = tests[operator]
    return lambda tag: (text := joined(tag)) is not None and test(text)


@cache
def compile_simple(selector: str) -> Predicate | None:
    """A predicate for 'tag', '.class', '#id', 'tag.class', '[attr*=value]' and their mixes; else None."""
    match = _SIMPLE.match(selector.strip())
    if not match or not (match.group("tag") or match.group("rest")):
        return None
    tests: list[Predicate] = []
    tag_name = match.group("tag")
    if tag_name and tag_name != "*":
        lowered = tag_name.lower()
        tests.append(lambda tag: tag.name == lowered)
    for kind, name, attribute, operator, value in _PART.findall(match.group("rest")):
        if kind == ".":
            tests.append(lambda tag, cls=name: cls in (tag.get("class") or []))
        elif kind == "#":
            tests.append(lambda tag, ident=name: tag.get("id") == ident)
        else:
            tests.append(_attribute_test(attribute, operator or None, value))
    return lambda tag: all(test(tag) for test in tests)


_BARE_NAME = re.compile(r"^[a-zA-Z][\w-]*$")
_BARE_CLASS = re.compile(r"^\.[\w-]+$")


def select_all(soup: BeautifulSoup | Tag, selectors: Sequence[str]) -> list[Tag]:
    """Elements matching any selector, in document order; invalid selectors match nothing.

    Bare tag names and bare classes are looked up in sets (the common case);
    other simple selectors are predicates; the rest go to soupsieve.
    """
    names = {s.strip().lower() for s in selectors if _BARE_NAME.match(s.strip())}
    classes = {s.strip()[1:] for s in selectors if _BARE_CLASS.match(s.strip())}
    predicates = []
    complex_selectors = []
    for selector in selectors:
        if _BARE_NAME.match(selector.strip()) or _BARE_CLASS.match(selector.strip()):
            continue
        predicate = compile_simple(selector)
        if predicate is None:
            complex_selectors.append(selector)
        else:
            predicates.append(predicate)
    found = []
    if names or classes or predicates:
        for tag in soup.find_all(True):
            if (
                tag.name in names
                or (classes and not classes.isdisjoint(tag.get("class") or ()))
                or any(p(tag) for p in predicates)
            ):
                found.append(tag)
    for selector in complex_selectors:
        try:
            found.extend(soup.select(selector))
        except Exception:  # soupsieve rejects the selector: a config mistake must not stop a page
            continue
    return found


def select_first_match(soup: BeautifulSoup | Tag, selectors: Sequence[str]) -> list[Tag]:
    """All matches of the first selector that matches anything."""
    for selector in selectors:
        found = select_all(soup, [selector])
        if found:
            return found
    return []
