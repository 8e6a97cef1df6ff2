"""The chrome around a synthetic page: what a municipal CMS writes besides the article.

Real municipal pages of 40-100 KB hold about 1,000 elements, most of them
chrome: a mega menu and its mobile copy (nested lists of a hundred or more
links with expand buttons and icons), a tool bar, breadcrumbs, a sub-menu,
share and feedback blocks, a cookie banner with a consent form, quick links, a
footer with link lists, an SVG icon sprite, inline CSS and scripts. A page
with the same bytes but a few hundred elements is cheap to parse and makes a
benchmark lie, so the synthetic web carries chrome of the same density,
written here the way Sitevision, WordPress (Municipio), EPiServer and a plain
CMS would write it.

The chrome never changes what a page says: no article, main, h1, time, meta
or structured data, no dates, no 'publicerad', no vocabulary that ranks a
link as a dialogue page, none of the benchmark's listing-link selectors and
no CMS marker of another CMS, no og:site_name (discovery names a site by
it). tests/test_national_web.py checks what a reader would take from it.
Everything is derived from the site's seed and code (and the page's path), so
the same arguments give the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.national_web import Page, Site

# Sections a service area's menu offers besides the site's service pages. None of these
# labels is dialogue vocabulary (config/discovery.yaml): chrome links must not rank.
AREA_SECTIONS = {
    "barn-och-utbildning": (
        "Öppen förskola", "Pedagogisk omsorg", "Fritidshem", "Anpassad grundskola", "Vuxenutbildning",
        "Svenska för invandrare", "Elevhälsa", "Skolval", "Modersmål", "Studie- och yrkesvägledning",
        "Skolmåltider", "Läsårstider", "Skolplattformen", "Barnomsorg på obekväm tid",
    ),
    "omsorg-och-stod": (
        "Äldreomsorg", "Funktionsnedsättning", "Trygghetslarm", "Boendestöd", "Personlig assistans",
        "Missbruk och beroende", "Våld i nära relationer", "Familjerådgivning", "Bostadsanpassning",
        "Budget- och skuldrådgivning", "Kontaktperson", "Korttidsboende", "Daglig verksamhet", "Hjälpmedel",
        "Överförmyndare",
    ),
    "bygga-bo-och-miljo": (
        "Detaljplaner", "Kartor och mätning", "Bostäder", "Miljö och hälsa", "Livsmedelskontroll",
        "Parker och naturområden", "Gator och vägar", "Parkering", "Klimat och energi", "Enskilt avlopp",
        "Strandskydd", "Värme och ventilation", "Lantmäteri", "Radon", "Skadedjur",
    ),
    "kultur-och-fritid": (
        "Idrottsanläggningar", "Friluftsliv", "Fritidsgårdar", "Konst och kulturarv", "Museer",
        "Lokalbokning", "Fiske", "Badplatser", "Föreningsliv", "Motionsspår", "Lekplatser",
        "Allmänna samlingslokaler", "Fritidsbanken", "Kulturstipendier",
    ),
    "naringsliv-och-arbete": (
        "Företagsservice", "Tillstånd för företag", "Serveringstillstånd", "Mark och lokaler",
        "Arbetsmarknadsinsatser", "Feriearbete", "Turism och besöksnäring", "Etablera dig här",
        "Företagslotsen", "Handel med tobak", "Torghandel", "Näringslivsstatistik",
    ),
    "kommun-och-politik": (
        "Kommunens organisation", "Förtroendevalda", "Styrdokument", "Allmänna handlingar",
        "Kommunfakta och statistik", "Ekonomi och årsredovisning", "Krisberedskap", "Dataskydd",
        "Synpunkter och klagomål", "Medborgarförslag", "Överklaga beslut", "Mänskliga rättigheter",
        "Kommunens bolag", "Val och röstning", "Vänorter",
    ),
}  # fmt: skip
EXTRA_AREAS = (
    ("Trafik och resor", "trafik-och-resor", (
        "Kollektivtrafik", "Cykla", "Vägarbeten", "Trafiksäkerhet", "Snöröjning", "Gatubelysning",
    )),
    ("Uppleva och göra", "uppleva-och-gora", (
        "Sevärdheter", "Naturreservat", "Vandringsleder", "Gästhamn", "Konsthallen", "Biografen",
    )),
    ("Jobba hos oss", "jobba-hos-oss", (
        "Våra yrken", "Löner och förmåner", "Praktik och examensarbete", "Så rekryterar vi",
    )),
)  # fmt: skip
LEAVES = (
    "Avgifter och taxor", "Regler och riktlinjer", "Blanketter och e-tjänster", "Frågor och svar",
    "Kontakta oss", "Så går det till", "Handläggningstider", "Kvalitet och uppföljning", "Hitta verksamhet",
    "Information på andra språk", "Ansök", "Lagar och föreskrifter", "Priser", "Karta",
)  # fmt: skip
TOOLS = (
    ("Lyssna", "/om-webbplatsen/talande-webb", "listen"),
    ("Lättläst", "/lattlast", "easy-read"),
    ("Teckenspråk", "/teckensprak", "sign-language"),
    ("Other languages", "/other-languages", "globe"),
    ("Kontakt", "/kontakta-kommunen", "phone"),
    ("E-tjänster", "/e-tjanster", "login"),
)
QUICK_LINKS = (
    ("Lediga jobb", "/jobba-hos-oss/lediga-jobb", "briefcase"),
    ("Felanmälan", "/felanmalan", "warning"),
    ("Mat i skolan", "/barn-och-utbildning/skolmaltider", "food"),
    ("Sophämtning", "/bygga-bo-och-miljo/sophamtning", "trash"),
    ("Självservice", "/sjalvservice", "login"),
    ("Driftinformation", "/driftinformation", "info"),
    ("Hitta förskola", "/barn-och-utbildning/hitta-forskola", "location"),
    ("Bibliotekets katalog", "/kultur-och-fritid/bibliotek/katalogen", "book"),
)
FOOTER_LINKS = (
    ("Om webbplatsen", "/om-webbplatsen"),
    ("Tillgänglighetsredogörelse", "/om-webbplatsen/tillganglighetsredogorelse"),
    ("Kakor", "/om-webbplatsen/kakor"),
    ("Personuppgifter", "/om-webbplatsen/personuppgifter"),
    ("Webbkarta", "/webbkarta"),
    ("Press och media", "/kommun-och-politik/press-och-media"),
    ("Öppna data", "/kommun-och-politik/oppna-data"),
    ("Visselblåsarfunktion", "/kommun-och-politik/visselblasarfunktion"),
    ("Jobba hos oss", "/jobba-hos-oss"),
    ("Kontakta kommunen", "/kontakta-kommunen"),
)
SOCIAL = (
    ("Facebook", "facebook"),
    ("Instagram", "instagram"),
    ("LinkedIn", "linkedin"),
    ("Youtube", "youtube"),
)
SUB_SITES = (
    ("Biblioteken", "bibliotek"), ("Besöksguiden", "besok"), ("Räddningstjänsten", "raddningstjanst"),
    ("Vatten och avfall", "vatten"), ("Kulturskolan", "kulturskolan"), ("Gymnasieskolan", "gymnasiet"),
    ("Bostadsbolaget", "bostader"), ("Näringslivskontoret", "foretag"),
)  # fmt: skip
SHARE = (("Facebook", "facebook"), ("LinkedIn", "linkedin"), ("E-post", "mail"))
ICONS = (
    "search", "menu", "close", "chevron-down", "chevron-right", "chevron-left", "arrow-right", "external",
    "phone", "mail", "facebook", "instagram", "linkedin", "youtube", "globe", "listen", "easy-read",
    "sign-language", "home", "info", "warning", "location", "document", "pdf", "user", "print", "share",
    "login", "briefcase", "food", "trash", "book", "plus", "minus", "check", "clock",
)  # fmt: skip
CSS_PROPERTIES = (
    "display:flex", "display:block", "display:inline-flex", "display:none", "align-items:center",
    "justify-content:space-between", "gap:.5rem", "gap:1rem", "padding:.75rem 1rem", "padding:0",
    "margin:0 0 1rem", "margin:0 auto", "font-weight:600", "font-weight:400", "font-size:1rem",
    "font-size:.875rem", "font-size:1.25rem", "line-height:1.5", "color:#1b1b1b", "color:#fff",
    "color:var(--color-primary)", "background-color:var(--color-surface)", "background:none",
    "border:0", "border-bottom:1px solid var(--color-border)", "border-radius:.25rem",
    "text-decoration:none", "text-decoration:underline", "max-width:80rem", "width:100%",
    "list-style:none", "position:relative", "position:absolute", "transition:transform .2s ease",
)  # fmt: skip
# A site's typical page weighs SITE_SIZE bytes (drawn per site), a page up to PAGE_JITTER more:
# real municipal pages of 40-100 KB, most between 55 and 80 KB.
SITE_SIZE = (40_000, 90_000)
PAGE_JITTER = 8_000
FILL_MARK = "/*portlets*/"
LANGUAGES = (
    ("English", "en"), ("Suomeksi", "fi"), ("Meänkieli", "fit"), ("Sámegiella", "se"), ("Romani chib", "rom"),
    ("Jiddisch", "yi"), ("العربية", "ar"), ("Soomaali", "so"), ("فارسی", "fa"), ("ትግርኛ", "ti"),
    ("Українська", "uk"), ("Dari", "prs"), ("Bosanski", "bs"), ("Polski", "pl"),
)  # fmt: skip
CSS_STATES = ("", ":hover", ":focus-visible", "[aria-expanded=true]", " > li", " a", "--active", "--open")


@dataclass(frozen=True)
class MenuNode:
    """A link of the site's menu tree: an area, a section or a leaf page."""

    label: str
    path: str
    children: tuple[MenuNode, ...] = ()


@dataclass(frozen=True)
class ChromeStyle:
    """A site's menu tree and how much chrome its pages carry: drawn per site, so sites differ as real ones do."""

    areas: tuple[MenuNode, ...]
    deep_desktop_menu: bool  # the desktop mega menu shows pages under the sections too
    sitemap_footer: bool  # areas and sections again in the footer (a site map block)
    css_rules: int
    quick_links: int
    size: int  # bytes of a typical page of the site; a page adds up to PAGE_JITTER


# -- helpers the generator shares ------------------------------------------------------------------
def seeded_rng(*parts: object) -> random.Random:
    """A random generator fixed by its parts: the same parts give the same numbers on every run."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def slug(text: str) -> str:
    """'Bygga, bo och miljö' -> 'bygga-bo-och-miljo'."""
    table = str.maketrans("åäöéü", "aaoeu")
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower().translate(table))
    return "-".join(part for part in cleaned.split("-") if part)


def esc(text: str) -> str:
    """Text made safe for HTML content and attribute values."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# -- the site's menu tree and style --------------------------------------------------------------------
def menu_path(cms: str, *slugs: str) -> str:
    """A menu page's address as the CMS writes it: '/a/b.html' on Sitevision, '/a/b/' elsewhere."""
    return "/" + "/".join(slugs) + (".html" if cms == "sitevision" else "/")


def chrome_style(site: Site, services: Sequence[tuple[str, str, object]]) -> ChromeStyle:
    """The site's menu tree and how much chrome it carries, drawn from its seed and code.

    `services` are the generator's (label, slug, topics) service areas; the
    site's own service pages appear in the menu under their area.
    """
    rng = seeded_rng(site.seed, site.code, "chrome")
    size = rng.randint(*SITE_SIZE)
    scale = (size - SITE_SIZE[0]) / (SITE_SIZE[1] - SITE_SIZE[0])  # a heavier site has a bigger menu
    areas = [(label, area, AREA_SECTIONS[area]) for label, area, _topics in services]
    areas += rng.sample(EXTRA_AREAS, rng.randint(0, round(len(EXTRA_AREAS) * scale)))
    deep = rng.random() < 0.3
    most = (7 + round(3 * scale)) if deep else (9 + round(5 * scale))
    tree = []
    for label, area, pool in areas:
        sections = [
            MenuNode(p.title, p.path)
            for p in site.pages
            if p.kind == "service" and p.path.startswith(f"/{area}/") and "(" not in p.title
        ]
        for title in rng.sample(pool, min(len(pool), rng.randint(most - 2, most))):
            section = slug(title)
            leaves = tuple(
                MenuNode(leaf, menu_path(site.cms, area, section, slug(leaf)))
                for leaf in rng.sample(LEAVES, rng.randint(2, 5))
            )
            sections.append(MenuNode(title, menu_path(site.cms, area, section), leaves))
        tree.append(MenuNode(label, menu_path(site.cms, area), tuple(sections)))
    return ChromeStyle(
        areas=tuple(tree),
        deep_desktop_menu=deep,
        sitemap_footer=site.cms == "generic" or rng.random() < 0.15,
        css_rules=rng.randint(20, 40 + round(80 * scale)),
        quick_links=rng.randint(5, len(QUICK_LINKS)),
        size=size,
    )


# -- building blocks -----------------------------------------------------------------------------------
def icon(name: str, cls: str = "icon") -> str:
    """An inline SVG that shows a symbol of the sprite."""
    return f'<svg class="{cls}" aria-hidden="true" focusable="false"><use href="#icon-{name}"></use></svg>'


def sprite(site: Site) -> str:
    """The inline SVG sprite: the site's icons, each a symbol of one or two paths."""
    rng = seeded_rng(site.seed, site.code, "sprite")
    symbols = []
    for name in ICONS:
        paths = "".join(f'<path d="{_path_data(rng)}"/>' for _ in range(1 if rng.random() < 0.7 else 2))
        symbols.append(f'<symbol id="icon-{name}" viewBox="0 0 24 24"><title>{name}</title>{paths}</symbol>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="svg-sprite" aria-hidden="true" style="display:none">'
        f"<defs>{''.join(symbols)}</defs></svg>"
    )


def _path_data(rng: random.Random) -> str:
    """Path data of an icon: a move, then lines and curves, like an icon font export."""
    steps = [f"M{rng.randint(1, 23)}.{rng.randint(0, 9)} {rng.randint(1, 23)}.{rng.randint(0, 9)}"]
    for _ in range(rng.randint(2, 8)):
        if rng.random() < 0.5:
            steps.append(f"l{rng.uniform(-6, 6):.2f} {rng.uniform(-6, 6):.2f}")
        else:
            numbers = " ".join(f"{rng.uniform(-8, 8):.2f}" for _ in range(6))
            steps.append(f"c{numbers}")
    return "".join(steps) + "z"


def inline_css(site: Site, style: ChromeStyle, prefixes: tuple[str, ...]) -> str:
    """The critical CSS a theme inlines in <head>: custom properties and rules for its components."""
    rng = seeded_rng(site.seed, site.code, "css")
    variables = ";".join(
        f"--color-{name}:#{rng.randint(0, 0xFFFFFF):06x}"
        for name in ("primary", "secondary", "surface", "border", "text", "accent", "focus", "alert")
    )
    rules = [f":root{{{variables};--radius:.25rem;--container:80rem}}"]
    elements = ("", "__item", "__link", "__toggle", "__sub", "__icon", "__title", "__list", "__button")
    for _ in range(style.css_rules):
        selector = f".{rng.choice(prefixes)}{rng.choice(elements)}{rng.choice(CSS_STATES)}"
        body = ";".join(rng.sample(CSS_PROPERTIES, rng.randint(2, 5)))
        rule = f"{selector}{{{body}}}"
        if rng.random() < 0.15:
            rule = f"@media (min-width:{rng.choice((640, 768, 1024, 1200))}px){{{rule}}}"
        rules.append(rule)
    return "<style>" + "\n".join(rules) + "</style>"


def link_list(links: list[tuple[str, str]], cls: str, with_icons: bool = False) -> str:
    """<ul> of plain links (footer columns, tool bars)."""
    items = "".join(
        f'<li class="{cls}__item"><a class="{cls}__link" href="{esc(href)}">'
        f"{icon('chevron-right', cls + '__icon') if with_icons else ''}{esc(text)}</a></li>"
        for text, href in links
    )
    return f'<ul class="{cls}__list">{items}</ul>'


def mega_menu(style: ChromeStyle, cls: str, leading: list[tuple[str, str]]) -> str:
    """The desktop menu: `leading` plain links, then areas with a panel of their sections (and pages)."""
    areas = [
        f'<li class="{cls}__item"><a class="{cls}__link" href="{esc(href)}">{esc(text)}</a></li>'
        for text, href in leading
    ]
    for number, area in enumerate(style.areas):
        sections = []
        for section in area.children:
            leaves = ""
            if style.deep_desktop_menu and section.children:
                leaves = (
                    f'<ul class="{cls}__leaves">'
                    + "".join(
                        f'<li><a href="{esc(leaf.path)}">{esc(leaf.label)}</a></li>'
                        for leaf in section.children[:3]
                    )
                    + "</ul>"
                )
            sections.append(
                f'<li><a class="{cls}__section" href="{esc(section.path)}">'
                f"{esc(section.label)}</a>{leaves}</li>"
            )
        panel = f"{cls}-panel-{number}"
        areas.append(
            f'<li class="{cls}__item"><a class="{cls}__link" href="{esc(area.path)}">{esc(area.label)}</a>'
            f'<button class="{cls}__toggle" aria-expanded="false" aria-controls="{panel}">'
            f'<span class="visually-hidden">Visa undermeny för {esc(area.label)}</span>{icon("chevron-down")}</button>'
            f'<div class="{cls}__panel" id="{panel}" hidden><p class="{cls}__intro">'
            f'<a href="{esc(area.path)}">Gå till {esc(area.label.lower())}</a></p>'
            f'<ul class="{cls}__sub">{"".join(sections)}</ul></div></li>'
        )
    return f'<ul class="{cls}__list">{"".join(areas)}</ul>'


def tree_menu(nodes: tuple[MenuNode, ...], cls: str, depth: int = 0, levels: int = 2) -> str:
    """The mobile menu: `levels` levels of the tree (deeper ones load on demand), branches with expand buttons."""
    items = []
    for node in nodes:
        if not node.children or depth + 1 >= levels:
            items.append(
                f'<li class="{cls}__item"><a class="{cls}__link" href="{esc(node.path)}">{esc(node.label)}</a></li>'
            )
            continue
        items.append(
            f'<li class="{cls}__item {cls}__item--has-children"><div class="{cls}__row">'
            f'<a class="{cls}__link" href="{esc(node.path)}">{esc(node.label)}</a>'
            f'<button class="{cls}__toggle" aria-expanded="false" aria-label="Visa undermeny för {esc(node.label)}">'
            f"{icon('plus')}</button></div>{tree_menu(node.children, cls, depth + 1, levels)}</li>"
        )
    return f'<ul class="{cls}__list {cls}__list--level-{depth}">{"".join(items)}</ul>'


def sitemap_tree(style: ChromeStyle, cls: str) -> str:
    """The site map block some footers carry: every area with its sections."""
    blocks = []
    for area in style.areas:
        sections = "".join(f'<li><a href="{esc(s.path)}">{esc(s.label)}</a></li>' for s in area.children)
        blocks.append(
            f'<li class="{cls}__item"><h3 class="{cls}__title"><a href="{esc(area.path)}">{esc(area.label)}</a></h3>'
            f"<ul>{sections}</ul></li>"
        )
    return f'<ul class="{cls}__list">{"".join(blocks)}</ul>'


def search_form(site: Site, cls: str, number: int = 1) -> str:
    """The site search: a GET form with a search box (the first one on the page is what discovery reads)."""
    box = f"{cls}-query-{number}"
    return (
        f'<form class="{cls}" method="get" action="{site.search_path}" role="search">'
        f'<label class="visually-hidden" for="{box}">Sök på webbplatsen</label>'
        f'<input class="{cls}__input" id="{box}" type="search" name="{site.search_param}" '
        f'placeholder="Vad letar du efter?" autocomplete="off">'
        f'<button class="{cls}__button" type="submit">{icon("search")}<span>Sök</span></button></form>'
    )


def cookie_banner(cls: str) -> str:
    """The consent banner: a short text, a form of cookie categories and three buttons."""
    choices = (
        ("necessary", "Nödvändiga kakor", "Krävs för att webbplatsen ska fungera.", " checked disabled"),
        ("statistics", "Statistikkakor", "Hjälper oss att förstå hur webbplatsen används.", ""),
        ("functional", "Funktionella kakor", "Sparar dina val, till exempel språk.", ""),
        ("marketing", "Tredjepartskakor", "Används av inbäddade kartor och filmer.", ""),
    )
    boxes = "".join(
        f'<div class="{cls}__choice"><input type="checkbox" id="{cls}-{key}" name="{key}"{extra}>'
        f'<label for="{cls}-{key}"><strong>{title}</strong><span>{text}</span></label></div>'
        for key, title, text, extra in choices
    )
    return (
        f'<div class="{cls}" role="dialog" aria-labelledby="{cls}-title" aria-modal="false">'
        f'<div class="{cls}__inner"><h2 class="{cls}__title" id="{cls}-title">Vi använder kakor</h2>'
        f"<p>Kakor (cookies) är små textfiler som lagras i din webbläsare. Vi använder nödvändiga kakor för att "
        f"webbplatsen ska fungera och, om du godkänner det, kakor för statistik och inbäddat innehåll.</p>"
        f'<p><a href="/om-webbplatsen/kakor">Läs mer om hur vi använder kakor</a></p>'
        f'<form class="{cls}__form" action="/om-webbplatsen/kakor" method="post"><fieldset>'
        f"<legend>Välj vilka kakor du godkänner</legend>{boxes}</fieldset>"
        f'<div class="{cls}__buttons"><button type="submit" name="consent" value="all">Godkänn alla</button>'
        f'<button type="submit" name="consent" value="selected">Spara mina val</button>'
        f'<button type="submit" name="consent" value="necessary">Endast nödvändiga</button></div></form></div></div>'
    )


def tool_bar(cls: str) -> str:
    """Listen, easy Swedish, sign language, contact, e-services, and the languages the site speaks."""
    items = "".join(
        f'<li class="{cls}__item"><a class="{cls}__link" href="{href}">{icon(name)}<span>{text}</span></a></li>'
        for text, href, name in TOOLS
    )
    languages = "".join(
        f'<li><a href="/other-languages/{code}" lang="{code}" hreflang="{code}">{esc(name)}</a></li>'
        for name, code in LANGUAGES
    )
    return (
        f'<ul class="{cls}__list">{items}<li class="{cls}__item {cls}__languages">'
        f'<button class="{cls}__toggle" type="button" aria-expanded="false">{icon("globe")}<span>Languages</span>'
        f'{icon("chevron-down")}</button><ul class="{cls}__language-list" hidden>{languages}</ul></li></ul>'
    )


def breadcrumbs(crumbs: list[tuple[str, str | None]], cls: str) -> str:
    """Startsida > ... > this page, the last one not a link."""
    items = []
    for text, href in crumbs:
        inner = (
            f'<a href="{esc(href)}">{esc(text)}</a>'
            if href
            else f'<span aria-current="page">{esc(text)}</span>'
        )
        items.append(f'<li class="{cls}__item">{inner}{icon("chevron-right") if href else ""}</li>')
    return f'<nav class="{cls}" aria-label="Du är här"><ol class="{cls}__list">{"".join(items)}</ol></nav>'


def sub_menu(area: MenuNode, cls: str) -> str:
    """The sub-menu beside the article: the area's sections, their pages under the first one."""
    items = []
    for number, section in enumerate(area.children):
        children = ""
        if number == 0 and section.children:
            children = (
                f'<ul class="{cls}__sub">'
                + "".join(
                    f'<li class="{cls}__item"><a class="{cls}__link" href="{esc(c.path)}">{esc(c.label)}</a></li>'
                    for c in section.children
                )
                + "</ul>"
            )
        items.append(
            f'<li class="{cls}__item"><a class="{cls}__link" href="{esc(section.path)}">{esc(section.label)}</a>'
            f"{children}</li>"
        )
    return (
        f'<nav class="{cls}" aria-label="Undermeny"><p class="{cls}__heading">'
        f'<a href="{esc(area.path)}">{esc(area.label)}</a></p><ul class="{cls}__list">{"".join(items)}</ul></nav>'
    )


def share_tools(cls: str) -> str:
    """Share, print and listen links under the article."""
    shares = "".join(
        f'<li><a class="{cls}__link" href="#" data-share="{key}" rel="nofollow">{icon(key)}'
        f'<span class="visually-hidden">Dela på {text}</span></a></li>'
        for text, key in SHARE
    )
    return (
        f'<div class="{cls}"><p class="{cls}__label">Dela sidan</p><ul class="{cls}__list">{shares}</ul>'
        f'<button class="{cls}__print" type="button">{icon("print")}<span>Skriv ut</span></button>'
        f'<button class="{cls}__listen" type="button">{icon("listen")}<span>Lyssna på sidan</span></button></div>'
    )


def feedback_form(cls: str) -> str:
    """'Was this page helpful?': two radio buttons, a comment box and a send button."""
    return (
        f'<div class="{cls}"><form class="{cls}__form" action="/feedback" method="post"><fieldset>'
        f"<legend>Hjälpte informationen på sidan dig?</legend>"
        f'<div class="{cls}__options"><input type="radio" id="{cls}-ja" name="helpful" value="ja">'
        f'<label for="{cls}-ja">Ja</label><input type="radio" id="{cls}-nej" name="helpful" value="nej">'
        f'<label for="{cls}-nej">Nej</label></div></fieldset>'
        f'<label for="{cls}-comment">Vad kan vi göra bättre? (frivilligt)</label>'
        f'<textarea id="{cls}-comment" name="comment" rows="4" maxlength="1000"></textarea>'
        f'<p class="{cls}__note">Skriv inte personuppgifter här. Vill du ha svar, kontakta kontaktcenter.</p>'
        f'<button type="submit">Skicka</button></form></div>'
    )


def quick_links(style: ChromeStyle, cls: str) -> str:
    """'Genvägar': the site's most used pages, as icon tiles."""
    items = "".join(
        f'<li class="{cls}__item"><a class="{cls}__link" href="{href}">{icon(name, cls + "__icon")}'
        f'<span class="{cls}__text">{text}</span></a></li>'
        for text, href, name in QUICK_LINKS[: style.quick_links]
    )
    return (
        f'<div class="{cls}"><h2 class="{cls}__title">Genvägar</h2><ul class="{cls}__list">{items}</ul></div>'
    )


def footer_columns(site: Site, cls: str) -> str:
    """The footer's contact column, its link columns, the municipality's other sites and social media."""
    contact = (
        f'<div class="{cls}__col"><h2 class="{cls}__title">{esc(site.kommun)}</h2>'
        f"<p>Kommunhuset<br>123 45 {esc(site.name)}</p>"
        f"<p>Telefon kontaktcenter: 0{site.code[:2]}0-12 34 00<br>"
        f"E-post: kommun@{slug(site.name)}.example</p>"
        f"<p>Organisationsnummer 212000-{site.code}</p>"
        f'<p><a href="/kontakta-kommunen">Fler sätt att kontakta oss</a></p></div>'
    )
    about = f'<div class="{cls}__col"><h2 class="{cls}__title">Om webbplatsen</h2>{link_list(list(FOOTER_LINKS[:5]), cls)}</div>'
    more = f'<div class="{cls}__col"><h2 class="{cls}__title">Snabblänkar</h2>{link_list(list(FOOTER_LINKS[5:]), cls)}</div>'
    social = "".join(
        f'<li><a class="{cls}__social" href="/sociala-medier/{key}" aria-label="{text}">{icon(key)}</a></li>'
        for text, key in SOCIAL
    )
    follow = f'<div class="{cls}__col"><h2 class="{cls}__title">Följ oss</h2><ul class="{cls}__social-list">{social}</ul></div>'
    domain = slug(site.name) + ".example"
    sites = [(text, f"https://{host}.{domain}/") for text, host in SUB_SITES]
    others = f'<div class="{cls}__col"><h2 class="{cls}__title">Våra webbplatser</h2>{link_list(sites, cls, True)}</div>'
    return contact + about + more + others + follow


def body_scripts(site: Site, page: Page | None, sources: tuple[str, ...]) -> str:
    """External scripts and the inline state a theme writes at the end of <body>."""
    rng = seeded_rng(site.seed, site.code, page.path if page else "listing", "state")
    tags = "".join(f'<script src="{src}" defer></script>' for src in sources)
    labels = ",".join(
        f'"{key}":"{value}"'
        for key, value in (
            ("menuOpen", "Öppna meny"), ("menuClose", "Stäng meny"), ("showMore", "Visa fler"),
            ("searchPlaceholder", "Vad letar du efter?"), ("noResults", "Inga träffar"),
            ("readSpeaker", "Lyssna"), ("print", "Skriv ut"),
        )
    )  # fmt: skip
    ids = ",".join(f'"{rng.randint(10**9, 10**10 - 1):x}"' for _ in range(rng.randint(8, 40))) + FILL_MARK
    state = (
        f'window.__SITE__={{"site":"{site.code}","lang":"sv","cms":"{site.cms}","i18n":{{{labels}}},'
        f'"portlets":[{ids}],"analytics":{{"enabled":false,"anonymize":true}}}};'
    )
    return f"{tags}<script>{state}</script>"


def fill_to_size(html: str, site: Site, style: ChromeStyle, key: str) -> str:
    """The page with its inline state grown to the page's weight: the site's typical size plus a jitter.

    Real pages differ in weight by what their scripts carry as much as by their
    markup; here the state's list of portlet ids takes up the difference, so
    sizes follow real ones whatever the element count.
    """
    rng = seeded_rng(site.seed, site.code, key, "size")
    target = style.size + rng.randint(0, PAGE_JITTER)
    missing = target - len(html.encode()) + len(FILL_MARK)
    ids = []
    while missing >= 18:  # ',"12.3a4b5c6d7e8f"' is 18 bytes
        ids.append(f',"12.{rng.getrandbits(48):012x}"')
        missing -= 18
    return html.replace(FILL_MARK, "".join(ids), 1)


# -- the page shells, one per CMS -------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """What the shell needs from the page inside it."""

    site: Site
    style: ChromeStyle
    head: str  # the whole <head> element
    main: str  # the CMS's content markup, written by the generator
    body_class: str
    crumbs: list[tuple[str, str | None]]
    area: MenuNode | None  # the sub-menu beside the article, when the page has one
    page: Page | None


def head_extras(site: Site, style: ChromeStyle, title: str) -> str:
    """Viewport, sharing metadata, fonts, icons and the inlined critical CSS a theme puts in <head>."""
    fonts = {
        "sitevision": "/sitevision/system-resource/a41e9f0c/fonts/",
        "wordpress": "/wp-content/themes/municipio/assets/dist/fonts/",
        "episerver": "/Static/dist/fonts/",
    }.get(site.cms, "/assets/fonts/")
    links = "".join(
        f'<link rel="preload" href="{fonts}{name}.woff2" as="font" type="font/woff2" crossorigin>'
        for name in ("roboto-regular", "roboto-bold")
    )
    return (
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta property="og:title" content="{esc(title)}"><meta property="og:type" content="website">'
        '<meta name="twitter:card" content="summary">'
        f'<meta name="format-detection" content="telephone=no">{links}'
        '<link rel="icon" href="/favicon.ico" sizes="32x32"><link rel="apple-touch-icon" href="/apple-touch-icon.png">'
        f"{inline_css(site, style, _CSS_PREFIXES.get(site.cms, _CSS_PREFIXES['generic']))}"
    )


_CSS_PREFIXES = {
    "sitevision": (
        "header",
        "mega-menu",
        "sv-mobile-menu",
        "breadcrumbs",
        "sub-menu",
        "quick-links",
        "footer",
    ),
    "wordpress": (
        "c-header",
        "c-nav",
        "c-drawer",
        "c-breadcrumbs",
        "c-nav-vertical",
        "c-quicklinks",
        "c-footer",
    ),
    "episerver": (
        "site-header",
        "main-navigation",
        "mobile-navigation",
        "breadcrumb",
        "local-navigation",
        "footer",
    ),
    "generic": ("top", "menu", "mobilmeny", "breadcrumb", "submenu", "footer", "sitemap"),
}
_SCRIPTS = {
    "sitevision": ("/sitevision/system-resource/a41e9f0c/js/envision.js", "/webapp-files/main.js"),
    "wordpress": (
        "/wp-includes/js/jquery/jquery.min.js?ver=3.7.1",
        "/wp-content/themes/municipio/assets/dist/js/municipio.js?ver=2.68.4",
        "/wp-content/plugins/modularity/dist/js/modularity.js?ver=6.1.0",
    ),
    "episerver": ("/Static/dist/js/vendor.js", "/Static/dist/js/main.js"),
    "generic": ("/assets/js/site.js",),
}


def logo(site: Site, cls: str) -> str:
    return f'<a class="{cls}" href="/"><img src="/images/logotyp.svg" alt="{esc(site.kommun)}, till startsidan" width="180" height="48"></a>'


def menu_button(cls: str, controls: str) -> str:
    return (
        f'<button class="{cls}" type="button" aria-expanded="false" aria-controls="{controls}">'
        f"{icon('menu')}<span>Meny</span></button>"
    )


def top_links(site: Site) -> list[tuple[str, str]]:
    """The menu's first links: the news listing and, where there is one, the calendar."""
    links = [("Nyheter", site.news_listing)]
    if site.calendar:
        links.append(("Kalender", site.calendar_path))
    return links


def mega_nav(site: Site, style: ChromeStyle, cls: str) -> str:
    return mega_menu(style, cls, top_links(site))


def mobile_tree(site: Site, style: ChromeStyle, cls: str) -> str:
    first = tuple(MenuNode(t, h) for t, h in top_links(site))
    return tree_menu(first + style.areas, cls)


def sitevision_shell(f: Frame) -> str:
    site, style, code = f.site, f.style, f.site.code
    mobile = (
        f'<div class="sv-layout sv-mobile-menu" id="sv-mobile-menu" hidden><nav aria-label="Mobilmeny">'
        f"{search_form(site, 'mobile-search', 2)}{mobile_tree(site, style, 'sv-mobile-menu')}</nav></div>"
    )
    aside = (
        f'<div class="sv-layout sv-column-3 page-aside" id="svid10_{code}e">{sub_menu(f.area, "sub-menu")}</div>'
        if f.area
        else ""
    )
    sitemap = (
        f'<div class="footer__sitemap"><h2>Webbkarta</h2>{sitemap_tree(style, "sitemap")}</div>'
        if style.sitemap_footer
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="sv" class="sv-no-js sv-template-standardsida">{f.head}<body class="{f.body_class}">'
        f"{sprite(site)}{cookie_banner('sv-cookie-consent')}"
        f'<div class="sv-layout sv-skip-spacer sv-template-layout" id="svid10_{code}a"><header class="header">'
        '<a class="sv-skip-link" href="#innehall">Till innehållet</a>'
        f'<div class="sv-layout header__top" id="svid10_{code}b">{tool_bar("header-tools")}</div>'
        f'<div class="sv-layout header__main" id="svid10_{code}c">{logo(site, "header__logo")}'
        f"{search_form(site, 'header-search')}{menu_button('header__menu-button', 'sv-mobile-menu')}</div>"
        f'<div class="sv-layout header__navigation" id="svid10_{code}d"><nav class="mega-menu" aria-label="Huvudmeny">'
        f"{mega_nav(site, style, 'mega-menu')}</nav></div>{mobile}</header></div>"
        f"{breadcrumbs(f.crumbs, 'breadcrumbs')}"
        f'<div class="sv-layout page-wrapper">{aside}<div class="sv-layout sv-column-9 page-main" id="innehall">'
        f"{f.main}{share_tools('page-tools')}{feedback_form('feedback')}</div></div>"
        f'<div class="sv-layout quick-links-row">{quick_links(style, "quick-links")}</div>'
        f'<div class="sv-layout footer-wrapper"><footer class="footer"><div class="footer__columns">'
        f"{footer_columns(site, 'footer')}</div>{sitemap}</footer></div>"
        f"{body_scripts(site, f.page, _SCRIPTS['sitevision'])}</body></html>"
    )


def wordpress_shell(f: Frame) -> str:
    site, style = f.site, f.style
    drawer = (
        f'<nav id="drawer" class="c-drawer" aria-label="Mobilmeny" hidden>{search_form(site, "c-drawer-search", 2)}'
        f"{mobile_tree(site, style, 'c-drawer')}</nav>"
    )
    aside = (
        f'<aside class="c-sidebar grid-md-3">{sub_menu(f.area, "c-nav-vertical")}</aside>' if f.area else ""
    )
    sitemap = (
        f'<div class="c-footer__sitemap">{sitemap_tree(style, "c-sitemap")}</div>'
        if style.sitemap_footer
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="sv">{f.head}<body class="{f.body_class}">'
        '<a class="screen-reader-text skip-link" href="#main-content">Hoppa till huvudinnehåll</a>'
        f'{sprite(site)}<div class="site-wrapper"><header id="site-header" class="site-header c-header c-header--business">'
        f'<div class="c-header__top container">{tool_bar("c-header-tools")}</div>'
        f'<div class="c-header__main container">{logo(site, "c-header__logo")}{search_form(site, "c-search")}'
        f"{menu_button('c-header__hamburger', 'drawer')}</div>"
        f'<nav id="main-menu" class="c-nav c-nav--horizontal nav-primary" aria-label="Huvudmeny">'
        f"{mega_nav(site, style, 'c-nav')}</nav>{drawer}</header>"
        f'<div class="container main-container" id="wrapper">{breadcrumbs(f.crumbs, "c-breadcrumbs")}'
        f'<div class="grid grid--columns">{aside}<div class="grid-md-9">{f.main}{share_tools("c-share")}</div></div></div>'
        f'<section class="c-feedback">{feedback_form("c-feedback-form")}</section>'
        f"{quick_links(style, 'c-quicklinks')}"
        f'<footer id="site-footer" class="site-footer c-footer"><div class="c-footer__columns">'
        f"{footer_columns(site, 'c-footer')}</div>{sitemap}</footer></div>"
        f"{cookie_banner('c-cookie-consent')}{body_scripts(site, f.page, _SCRIPTS['wordpress'])}</body></html>"
    )


def episerver_shell(f: Frame) -> str:
    site, style = f.site, f.style
    mobile = (
        f'<div class="mobile-navigation" id="mobile-navigation" hidden><nav aria-label="Mobilmeny">'
        f"{mobile_tree(site, style, 'mobile-navigation')}</nav></div>"
    )
    aside = f'<aside class="sidebar">{sub_menu(f.area, "local-navigation")}</aside>' if f.area else ""
    sitemap = (
        f'<div class="site-footer__sitemap">{sitemap_tree(style, "sitemap")}</div>'
        if style.sitemap_footer
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="sv">{f.head}<body class="{f.body_class}">'
        '<a class="skip-link" href="#main">Gå direkt till innehållet</a>'
        f"{cookie_banner('cookie-banner')}{sprite(site)}"
        f'<header class="site-header"><div class="site-header__top">{tool_bar("service-menu")}</div>'
        f'<div class="site-header__main">{logo(site, "site-header__logo")}{search_form(site, "header-search")}'
        f"{menu_button('menu-toggle', 'mobile-navigation')}</div>"
        f'<nav class="main-navigation" aria-label="Huvudmeny">{mega_nav(site, style, "main-navigation")}</nav>'
        f"{mobile}</header>{breadcrumbs(f.crumbs, 'breadcrumb')}"
        f'<div class="page-container">{f.main}{aside}</div>'
        f'<div class="content-area puff-area">{quick_links(style, "puff-links")}</div>'
        f'<div class="page-tools">{share_tools("share")}{feedback_form("page-feedback")}</div>'
        f'<footer class="site-footer"><div class="site-footer__columns">{footer_columns(site, "site-footer")}</div>'
        f"{sitemap}</footer>{body_scripts(site, f.page, _SCRIPTS['episerver'])}</body></html>"
    )


def generic_shell(f: Frame) -> str:
    site, style = f.site, f.style
    mobile = f'<div class="mobile" id="mobilmeny" hidden>{mobile_tree(site, style, "mobilmeny")}</div>'
    aside = f'<aside class="sidebar">{sub_menu(f.area, "submenu")}</aside>' if f.area else ""
    sitemap = (
        f'<div class="sitemap-footer"><h2>Webbkarta</h2>{sitemap_tree(style, "sitemap")}</div>'
        if style.sitemap_footer
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="sv">{f.head}<body class="{f.body_class}">'
        f'<div id="cookie-notice" class="cookie-notice">{cookie_banner("cookie-notice__banner")}</div>{sprite(site)}'
        f'<div id="top" class="top"><div class="top-inner">{logo(site, "logo")}{tool_bar("toplinks")}'
        f"{search_form(site, 'search')}{menu_button('menu-button', 'mobilmeny')}</div>"
        f'<div class="nav"><nav aria-label="Huvudmeny">{mega_nav(site, style, "menu")}</nav></div>{mobile}</div>'
        f"{breadcrumbs(f.crumbs, 'breadcrumb')}"
        f'<div class="page">{f.main}{aside}{share_tools("share")}</div>'
        f'<div id="footer" class="footer">{footer_columns(site, "footer")}</div>{sitemap}'
        f"{body_scripts(site, f.page, _SCRIPTS['generic'])}</body></html>"
    )


SHELLS = {
    "sitevision": sitevision_shell,
    "wordpress": wordpress_shell,
    "episerver": episerver_shell,
    "generic": generic_shell,
}
