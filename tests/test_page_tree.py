"""Parsing less changes nothing: lxml's page tree and listing links read every page as before.

The references are BeautifulSoup over the whole page (tests/whole_soup_reader.py,
how build_document read pages before) and BeautifulSoup's own select(); the
pages are every corpus, demo and shared page at hand, each read under every
CMS profile, and small pages written for the places where the two trees could
differ.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tasks.charset import decode_text
from tasks.extract import tree
from tasks.extract.document import Document, build_document
from tasks.extract.page import extract_page
from tasks.extract.vocabulary import ConfigError, Profile, default_profiles, load_profiles
from tasks.links import candidate_links
from tasks.records import PageContext
from tasks.registry import FollowRule, check_profile_selectors
from tests import whole_soup_reader
from tests.conftest import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared"
PROFILES = ("generic", "sitevision", "wordpress", "episerver")
RULES = (
    FollowRule("a"),
    FollowRule("ul.sv-channel li.sv-channel-item a"),
    FollowRule("article.c-card h2 a, .c-card__title a", "dialog|medborgar|korthet"),
    FollowRule("main a[href]"),
    FollowRule("nav > ul > li > a", "omsorg"),
    FollowRule("[class*=news] a[href$=html]"),
)


def project_pages() -> list[Path]:
    return sorted(
        [
            *(PROJECT_ROOT / "tests" / "corpus").glob("*.html"),
            *(PROJECT_ROOT / "tests" / "holdout").glob("*.html"),
            *(PROJECT_ROOT / "demo" / "sites").rglob("*.html"),
        ]
    )


def shared_pages() -> list[Path]:
    return sorted([*(SHARED / "real-pages" / "pages").glob("*"), *(SHARED / "seeds").glob("*.txt")])


def documents_match_the_whole_soup(pages: list[Path]) -> int:
    """Compare every page under every profile with the oracle; the number compared."""
    profiles = default_profiles()
    compared = 0
    for path in pages:
        html = decode_text(path.read_bytes())
        for name in PROFILES:
            url = f"https://www.example.se/{path.name}"
            expected = whole_soup_reader.build_document(html, url, profiles[name], profiles["generic"])
            assert build_document(html, url, profiles[name], profiles["generic"]) == expected, (
                path.name,
                name,
            )
            compared += 1
    return compared


def test_every_project_page_reads_as_with_one_soup_of_the_whole_page() -> None:
    assert documents_match_the_whole_soup(project_pages()) > 400


def test_real_pages_and_seeds_read_as_with_one_soup_of_the_whole_page() -> None:
    pages = shared_pages()
    if not pages:
        pytest.skip(f"{SHARED} has no real pages or seeds here")
    assert documents_match_the_whole_soup(pages) > 100


# Pages written to hit each place where lxml's tree and BeautifulSoup's could read differently.
EDGE_PAGES = {
    "ruby-template-comment": """<html><body><main><h1>Dialogmöte om äldreomsorg</h1>
        <p>Mötet hålls i <ruby>Nämndsalen<rt>nämnd-salen</rt><rp>(</rp></ruby> den 12 mars 2025
        <template><p>Dold mall: 1 januari 2020</p></template>klockan 18.00<!-- ändrad --> till 20.00.</p>
        <p>Fika<?php echo 1; ?> serveras från 17.30 i foajén, alla är välkomna att delta i samtalet.</p></main></body></html>""",
    "linked-cards": """<html><body><main><h1>Nyheter</h1>"""
    + "".join(
        f"""<a class="card" href="/nyheter/{n}.html"><h3>Dialogmöte {n}</h3>
        <p>{n} mars 2025 · Välkommen till ett öppet dialogmöte om stöd och omsorg i kommunen.</p></a>
        <div class="teaser"><h3><a href="/n/{n}">Brukarråd {n}</a></h3><time datetime="2025-03-{n:02}">{n} mars</time>
        <p>Brukarrådet träffas för att tala om funktionsstöd och daglig verksamhet.</p></div>"""
        for n in range(1, 6)
    )
    + "</main></body></html>",
    "sidebar-body": """<html class="no-js"><body class="page has-sidebar"><main><article>
        <div class="entry-content"><h1>Medborgardialog</h1><p>Kommunen bjuder in till medborgardialog
        den 4 april 2025 kl. 18.00-20.00 i stadshuset.</p></div></article></main></body></html>""",
    "cookie-html": """<html class="cookie-consent"><head><title>Dialog | Kommun</title></head><body>
        <p>Samråd om socialtjänstens lokaler den 2 maj 2025.</p></body></html>""",
    "published-beside-chrome": """<html><body><p>Publicerad 9 maj<span class="cookie-x">kakor</span> 2024</p>
        <div class="sidebar"><p>Sidan uppdaterad 10 maj 2024</p></div>
        <article><h2>Öppet möte</h2><p>Socialnämnden håller öppet möte den 20 maj 2024 kl 13.00.</p></article>
        </body></html>""",
    "microdata-in-table": """<html><body><main><table><tr itemscope itemtype="https://schema.org/Event">
        <td itemprop="name">Dialogmöte om hemtjänst</td><td><time itemprop="startDate" datetime="2025-05-06T18:00">6 maj</time></td>
        <td itemprop="location" itemscope itemtype="https://schema.org/Place"><span itemprop="name">Folkets hus</span></td>
        </tr></table>
        <script type="application/ld+json">{"@type": "Event", "name": "Brukarråd", "startDate": "2025-06-01"}</script>
        <script type="application/ld+json">{ trasig json</script></main></body></html>""",
    "table-header-rows": """<html><body><main><h2>Mötestider<br>hösten 2025</h2><table>
        <tr><th>Datum</th><th>Tid</th><th>Plats</th></tr>
        <tr><td>16 september</td><td>kl 17.30 - 20.00</td><td>Biblioteket</td></tr>
        <tr><td>14 oktober</td><td>kl 18.00</td><td>Digitalt via Teams</td></tr></table></main></body></html>""",
    "no-body": "<html><head><title>Endast rubrik - Kommun</title><meta name='DC.date' content='2025-01-02'></head></html>",
    "deep-nesting": "<html><body>"
    + "<div>" * 300
    + "<p>Djupt: möte 3 mars 2025 kl 10.</p>"
    + "</div>" * 300
    + "</body></html>",
    "entities": """<html><body><main><p>Caf&eacute;&nbsp;m&ouml;te&#160;den 7&nbsp;april &amp; 8 april 2025 kl.&nbsp;9&ndash;11</p>
        <p>&lt;b&gt;inte en tagg&lt;/b&gt; i texten om dialogen</p></main></body></html>""",
    "nav-everywhere": """<html><body><header><nav><ul>"""
    + "".join(
        f"<li><a href='/m/{n}'>Meny {n}</a><ul><li><a href='/m/{n}/a'>Under</a></li></ul></li>"
        for n in range(30)
    )
    + """</ul></nav></header><div class="sv-text-portlet-content"><h1 class="heading">Dialogcafé</h1>
        <p>Välkommen till dialogcafé tisdag 28 maj kl 17.30 - 20.00 i Kulturhuset.</p></div>
        <footer><p>Växel 0930-140 00</p></footer></body></html>""",
    "empty": "",
    "white-space": "  \n\t ",
}
CUSTOM_PROFILES = (
    Profile("rows", content=("tr.event",), title=("h2",), drop=("nav",), published_meta=()),
    Profile("cells", content=("main > table td",), title=("title",), drop=(".cookie-x",), published_meta=()),
    Profile("lists", content=("ul > li",), title=("h1",), drop=("[class*=sidebar]",), published_meta=()),
)


@pytest.mark.parametrize("name", sorted(EDGE_PAGES))
def test_edge_pages_read_as_with_one_soup_of_the_whole_page(name: str) -> None:
    html = EDGE_PAGES[name]
    profiles = default_profiles()
    generic = profiles["generic"]
    for profile in (*(profiles[p] for p in PROFILES), *CUSTOM_PROFILES):
        url = f"https://www.example.se/{name}.html"
        expected = whole_soup_reader.build_document(html, url, profile, generic)
        assert build_document(html, url, profile, generic) == expected, profile.name


def test_edge_pages_hold_what_they_test() -> None:
    """The edge pages reach the readers they were written for (else the comparison above proves little)."""
    profiles = default_profiles()
    generic = profiles["generic"]

    def read(name: str, profile: Profile = generic) -> Document:
        return build_document(EDGE_PAGES[name], f"https://www.example.se/{name}", profile, generic)

    assert read("linked-cards").teasers == 5  # the <div> blocks; the <a> cards hold no link of their own
    assert read("sidebar-body", profiles["wordpress"]).blocks == ()  # the body itself matched the drop list
    assert [e.name for e in read("microdata-in-table").events] == ["Brukarråd", "Dialogmöte om hemtjänst"]
    assert "Nämndsalen" in read("ruby-template-comment").text
    assert "nämnd-salen" not in read("ruby-template-comment").text
    assert "Dold mall" not in read("ruby-template-comment").text
    assert "Publicerad 9 majkakor 2024" in read("published-beside-chrome").page_lines  # read before dropping
    rows = build_document(EDGE_PAGES["table-header-rows"], "https://x.se/", CUSTOM_PROFILES[0], generic)
    assert rows.used_fallback
    assert (
        "Datum: 16 september | Tid: kl 17.30 - 20.00 | Plats: Biblioteket" in read("table-header-rows").text
    )


def test_text_nested_past_lxmls_depth_limit_is_reported_not_silently_lost() -> None:
    depth = tree.MAX_DEPTH + 50
    html = "<html><body><main>" + "<div>" * depth + "<p>Dialogmöte 3 mars 2025 kl 10.</p>" + "</div>" * depth
    context = PageContext(
        url="https://www.example.se/djup.html", fetched_at=date(2026, 11, 27), profile="generic"
    )
    extraction = extract_page(html + "</main></body></html>", context)
    assert any("levels deep" in warning for warning in extraction.warnings)
    shallow = extract_page(EDGE_PAGES["deep-nesting"], context)
    assert not any("levels deep" in warning for warning in shallow.warnings)


def test_beautifulsoup_is_built_over_the_article_only(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real_parse = tree.parse_html
    monkeypatch.setattr(tree, "parse_html", lambda markup: parsed.append(markup) or real_parse(markup))
    profile = default_profiles()["sitevision"]
    document = build_document(
        EDGE_PAGES["nav-everywhere"], "https://x.se/", profile, default_profiles()["generic"]
    )
    assert "tisdag 28 maj kl 17.30 - 20.00" in document.text
    assert parsed, "BeautifulSoup read nothing"
    assert all("Meny" not in markup and "Växel" not in markup for markup in parsed)


def test_a_profile_selector_the_page_tree_cannot_read_is_named(tmp_path: Path) -> None:
    path = tmp_path / "profiles.yaml"
    path.write_text(
        "profiles:\n  generic:\n    content: ['main']\n    title: ['h1']\n"
        "    drop: ['nav', 'li:nth-child(2)']\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"profile 'generic': drop 'li:nth-child\(2\)' is not supported"):
        check_profile_selectors(load_profiles(path), path)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.links)
def test_listing_links_from_lxml_match_beautifulsoups_select(rule: FollowRule) -> None:
    found_any = False
    for path in project_pages():
        html = decode_text(path.read_bytes())
        base = "https://www.example.se/nyheter/lista.html"
        links = candidate_links(html, base, rule)
        found_any = found_any or bool(links)
        assert links == links_by_beautifulsoup(html, base, rule), path.name
    assert found_any


def links_by_beautifulsoup(html: str, base: str, rule: FollowRule) -> list[str]:
    """The reference: what candidate_links gave when it always used BeautifulSoup's select()."""
    import re
    from urllib.parse import urljoin

    from tasks.scope import clean_url

    pattern = re.compile(rule.match, re.IGNORECASE) if rule.match else None
    found: dict[str, None] = {}
    for anchor in BeautifulSoup(html, "lxml").select(rule.links):
        href = anchor.get("href") if anchor.name == "a" else None
        if not isinstance(href, str) or not href.strip():
            continue
        try:
            url = clean_url(urljoin(base, href.strip()))
        except ValueError:
            continue
        if pattern and not (pattern.search(url) or pattern.search(anchor.get_text(" "))):
            continue
        found.setdefault(url)
    return list(found)
