"""The practices on the thematic sheets (format 1.1 ``practices``): each sheet lists the practices
of its theme as its audience sees them (the core's audience filter), standalone in full, and in a
report with a link to the theme's anchor on the report's practices page.

HTML pages are parsed with html5lib in strict mode; the report's links are followed to the file
and to the element whose ``id`` is the link's fragment; a sheet of the report is opened in a real
headless Chromium, its screenshot going to ``tests/artefacts/``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
import html5lib
import pytest

from pmae.model import Actor, Bundle, Practice, Resource
from pmae.render.report import SHEETS_FOLDER, build_report
from pmae.render.sheets import (
    build_sheet,
    build_sheets,
    render_html,
    render_markdown,
    write_sheets,
)
from pmae.render.sheets.render import md_file_link
from pmae.sample import load_sample

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
CHROMIUM = shutil.which("chromium")
SAMPLE_DAY = dt.date(2025, 12, 1)
#: The themes of the sample's three practices.
PRACTISED = {"dialogue_social", "formation_pro", "gepp", "mutualisation"}
SECRET = "Pratique réservée aux DLA"
HIDDEN_ACTOR = "Réseau des membres seulement"
HOSTILE = "<script>alert(1)</script>"
#: The sample's dialogue-social practice, as the sheets write it in Markdown.
DIALOGUE_MD = (
    "- **Un temps d'échange employeur bénévole – salariés avant que ça coince** : Un "
    "rendez-vous trimestriel, préparé avec un tiers, où le bureau et les salariés font le point "
    "sur le travail. · Apportée par : UDES Auvergne-Rhône-Alpes, DLA de l'Isère · Présentée à : "
    "Rencontre régionale : le dialogue social dans les petites associations employeuses "
    "(26 juin 2025) · Ressources : [Le dialogue social dans les TPE associatives]"
    "(https://www.aravis.example.org/ressources/guide-dialogue-social)")


def _parse(text: str) -> Any:
    """The page as an element tree; html5lib in strict mode raises on any parse error."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _section(tree: Any, heading: str) -> Any | None:
    """The ``<section>`` whose ``<h2>`` reads ``heading``, if any."""
    return next((s for s in tree.iter("section")
                 if (h2 := s.find("h2")) is not None and _text(h2) == heading), None)


def _with_hidden_practices(bundle: Bundle) -> Bundle:
    """The sample with a practice restricted to the DLA of the Isère, and a public practice
    brought by an actor only the networks see (and by the UDES)."""
    hidden = Actor(id="pmae-ra:reseau-membres", name=HIDDEN_ACTOR,
                   actor_type="reseau_sectoriel", territories=("reg:84",), visibility="network")
    practices = (
        Practice(id="pmae-ra:pratique-reservee", title=SECRET, themes=("dialogue_social",),
                 actors=("pmae-ra:dla-38",), visibility="restricted",
                 recipients=("pmae-ra:dla-38",)),
        Practice(id="pmae-ra:pratique-reseau", title="Un binôme employeur-salarié",
                 themes=("dialogue_social",), actors=(hidden.id, "pmae-ra:udes-aura")),
    )
    return attrs.evolve(bundle, actors=(*bundle.actors, hidden),
                        practices=(*bundle.practices, *practices))


def test_sample_sheets_list_the_practices_of_their_theme() -> None:
    bundle = load_sample()
    sheets = {s.theme: s for s in build_sheets(bundle, today=SAMPLE_DAY)}
    assert {t for t, s in sheets.items() if s.practices} == PRACTISED
    (item,) = sheets["dialogue_social"].practices
    assert item.practice.id == "pmae-ra:pratique-se-parler-avant"
    assert item.actor_names == ("UDES Auvergne-Rhône-Alpes", "DLA de l'Isère")
    assert item.meeting_title == ("Rencontre régionale : le dialogue social dans les petites "
                                  "associations employeuses")
    assert item.meeting_date == dt.date(2025, 6, 26)
    assert [r.id for r in item.resources] == ["pmae-ra:guide-dialogue-social"]
    # The practice on two themes is on both sheets.
    assert [p.practice.id for p in sheets["gepp"].practices] == [
        p.practice.id for p in sheets["formation_pro"].practices] == [
        "pmae-ra:pratique-entretien-pro"]

    tree = _parse(render_html(sheets["dialogue_social"]))
    section = _section(tree, "Pratiques repérées")
    assert section is not None
    words = _text(section)
    for part in ("Un temps d'échange employeur bénévole", "Apportée par : UDES "
                 "Auvergne-Rhône-Alpes, DLA de l'Isère", "Présentée à : Rencontre régionale : "
                 "le dialogue social dans les petites associations employeuses (26 juin 2025)",
                 "Ressources : Le dialogue social dans les TPE associatives"):
        assert part in words
    # Standalone, the sheet is self-contained: its only link is the resource's.
    assert [a.attrib["href"] for a in section.iter("a")] == [
        "https://www.aravis.example.org/ressources/guide-dialogue-social"]
    markdown = render_markdown(sheets["dialogue_social"])
    assert DIALOGUE_MD in markdown.splitlines()
    assert "## Pratiques repérées" in markdown and "pratiques.html" not in markdown

    # A theme without practices has no such section, not even an empty one.
    for theme in sheets.keys() - PRACTISED:
        page = render_html(sheets[theme])
        assert _section(_parse(page), "Pratiques repérées") is None, theme
        assert 'class="practices"' not in page
        assert "Pratiques repérées" not in render_markdown(sheets[theme]), theme


def test_practices_in_english() -> None:
    built = build_sheet(load_sample(), "mutualisation", lang="en", today=SAMPLE_DAY)
    section = _section(_parse(render_html(built)), "Practices brought out")
    assert section is not None
    assert "Brought by : DLA de la Drôme" in _text(section)
    assert "Presented at : " in _text(section)
    markdown = render_markdown(built, practices_link="../pratiques.html#theme-mutualisation")
    assert "## Practices brought out" in markdown
    assert ("[Every practice brought out, by theme, in the report]"
            "(../pratiques.html#theme-mutualisation)") in markdown.splitlines()


@pytest.mark.parametrize(("audience", "secret", "actor"), [
    ("public", False, False),
    ("network", False, True),
    ("recipient:pmae-ra:dla-38", True, True),
    ("all", True, True),
])
def test_a_practice_shows_only_to_its_audience(tmp_path: Path, audience: str, secret: bool,
                                               actor: bool) -> None:
    bundle = _with_hidden_practices(load_sample())
    built = build_sheet(bundle, "dialogue_social", audience=audience, today=SAMPLE_DAY)
    titles = [p.practice.title for p in built.practices]
    assert (SECRET in titles) is secret
    shared = next(p for p in built.practices if p.practice.id == "pmae-ra:pratique-reseau")
    # An actor the audience may not see is left out of the names, not shown by its id.
    assert shared.actor_names == ((HIDDEN_ACTOR,) if actor else ()) + (
        "UDES Auvergne-Rhône-Alpes",)
    written = write_sheets(bundle, tmp_path / "fiches", themes=["dialogue_social"],
                           formats=("md", "html"), audience=audience, today=SAMPLE_DAY)
    for name in written.files:
        text = (written.path / name).read_text(encoding="utf-8")
        assert (SECRET in text) is secret, name
        assert (HIDDEN_ACTOR in text) is actor, name
        assert "pmae-ra:reseau-membres" not in text, name


def test_hostile_practices_are_inert() -> None:
    bundle = load_sample()
    resource = Resource(id="pmae-ra:r-hostile", title=f"{HOSTILE} [lien](https://x.example.org)",
                        kind="outil", url="javascript:alert(1)")
    practice = Practice(id="pmae-ra:pratique-hostile", title=f"{HOSTILE} *gras*",
                        description="# titre\n- puce", themes=("dialogue_social",),
                        actors=("ailleurs:acteur",), meeting="ailleurs:rencontre",
                        resources=(resource.id,))
    bundle = attrs.evolve(bundle, resources=(*bundle.resources, resource),
                          practices=(practice,))
    built = build_sheet(bundle, "dialogue_social", today=SAMPLE_DAY)
    # References outside the bundle show as their ids.
    assert (built.practices[0].actor_names, built.practices[0].meeting_title) == (
        ("ailleurs:acteur",), "ailleurs:rencontre")
    link = "../pratiques.html#theme-dialogue_social"
    page = render_html(built, practices_link=link)
    tree = _parse(page)
    assert not [e for e in tree.iter() if e.tag == "script"]
    section = _section(tree, "Pratiques repérées")
    assert section is not None
    assert [a.attrib["href"] for a in section.iter("a")] == [link]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; *gras*" in page
    assert '<span class="url">javascript:alert(1)</span>' in page
    markdown = render_markdown(built, practices_link=link)
    assert "<" not in markdown and ">" not in markdown
    assert ("- **&lt;script&gt;alert(1)&lt;/script&gt; \\*gras\\*** : \\# titre - puce · "
            "Apportée par : ailleurs:acteur · Présentée à : ailleurs:rencontre · Ressources : "
            "&lt;script&gt;alert(1)&lt;/script&gt; \\[lien\\](https://x.example.org) "
            "(javascript:alert(1))") in markdown.splitlines()
    assert re.findall(r"\]\(([^)]*)\)", markdown)[-2:] == [link, "https://pmae-ra.example.org/"]


def test_the_link_to_the_practices_page_is_encoded() -> None:
    built = build_sheet(load_sample(), "mutualisation", today=SAMPLE_DAY)
    odd = attrs.evolve(built, theme="a b)c")
    link = "../pratiques.html#theme-a b)c"
    assert "(../pratiques.html#theme-a%20b%29c)" in render_markdown(odd, practices_link=link)
    anchors = [a.attrib["href"] for a in _parse(render_html(odd, practices_link=link)).iter("a")]
    assert "../pratiques.html#theme-a%20b%29c" in anchors
    # Markdown links pmae makes go only to the pages it wrote, never elsewhere.
    assert md_file_link("x", "../pratiques.html#theme-gepp") == \
        "[x](../pratiques.html#theme-gepp)"
    for bad in ("javascript:alert(1)", "/etc/passwd", "https://x.example.org/", "a b.html",
                "../a.html#b)c", "..//a.html"):
        with pytest.raises(ValueError, match="not a file name pmae writes"):
            md_file_link("x", bad)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public report of the sample with a restricted practice, with its sheets."""
    out = tmp_path_factory.mktemp("practices") / "site"
    build_report(_with_hidden_practices(load_sample()), out, sheets=True, today=SAMPLE_DAY)
    return out


def _anchor_exists(page: Path, fragment: str) -> bool:
    tree = _parse(page.read_text(encoding="utf-8"))
    return any(e.attrib.get("id") == fragment for e in tree.iter() if isinstance(e.tag, str))


def test_report_sheets_link_to_the_practices_of_their_theme(site: Path) -> None:
    folder = site / SHEETS_FOLDER
    linked: dict[str, set[str]] = {}
    for page in sorted(folder.glob("*.html")) + sorted(folder.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        if page.suffix == ".html":
            hrefs = [a.attrib["href"] for a in _parse(text).iter("a")]
        else:
            hrefs = re.findall(r"\]\(([^)]*)\)", text)
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme or not parts.path.endswith("pratiques.html"):
                continue
            target = (page.parent / parts.path).resolve()
            assert target == (site / "pratiques.html").resolve(), (page, href)
            assert _anchor_exists(target, unquote(parts.fragment)), (page, href)
            linked.setdefault(page.suffix, set()).add(page.stem)
    assert linked == {".html": PRACTISED, ".md": PRACTISED}
    # The practices page lists under the anchor what the sheet lists.
    practices = _parse((site / "pratiques.html").read_text(encoding="utf-8"))
    heading = next(e for e in practices.iter("h2") if e.attrib.get("id") ==
                   "theme-dialogue_social")
    assert _text(heading) == "Dialogue social"
    sheet = _section(_parse((folder / "dialogue_social.html").read_text(encoding="utf-8")),
                     "Pratiques repérées")
    assert sheet is not None
    assert [_text(s) for s in sheet.iter("strong")] == [
        "Un binôme employeur-salarié",
        "Un temps d'échange employeur bénévole – salariés avant que ça coince"]


def test_a_public_report_shows_no_restricted_practice(site: Path) -> None:
    for page in site.rglob("*"):
        if page.suffix in (".html", ".md"):
            text = page.read_text(encoding="utf-8")
            assert SECRET not in text and HIDDEN_ACTOR not in text, page


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_screenshot_of_a_report_sheet_with_practices(site: Path, tmp_path: Path) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    target = ARTEFACTS / "sheet-practices.png"
    target.unlink(missing_ok=True)
    page = site / SHEETS_FOLDER / "dialogue_social.html"
    completed = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--run-all-compositor-stages-before-draw", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={target}", "--window-size=900,2400", page.as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
        env={**os.environ, "HOME": str(tmp_path)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 20_000
