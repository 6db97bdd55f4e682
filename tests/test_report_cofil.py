"""The report as a COFIL reads it: where needs meet no offer, heatmap cells that lead to their
offers, figures that say what they count, names rather than codes, the sheets linked, a map of
the départements, a search box that works offline, and progress on a terminal only.

Pages are parsed with html5lib (strict) and opened in a real headless Chromium; the screenshots
of the new pages go to ``tests/artefacts/``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import unicodedata
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import html5lib
import pytest
from click.testing import CliRunner

from pmae.analysis.shared_diagnosis import aggregate, shareable_needs
from pmae.cli import cli
from pmae.io.bundles import write_bundle
from pmae.model import Actor, Association, Bundle, Meeting, Need, Offer, Source
from pmae.render.progress import TerminalProgress
from pmae.render.report import SHEETS_FOLDER, build_report
from pmae.render.report.tilemap import LAYOUT, map_classes
from pmae.sample import load_sample

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
CHROMIUM = Path("/usr/bin/chromium")
SVG = "{http://www.w3.org/2000/svg}"
TZ = dt.timezone(dt.timedelta(hours=1))
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="needs Debian's chromium (.ci/run installs it)")


def _parse(path: Path) -> Any:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_text(encoding="utf-8"))


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _rows(table: Any) -> list[list[str]]:
    return [[_text(cell) for cell in row if isinstance(cell.tag, str)]
            for row in table.iter("tr")]


def _visible_text(page: Path) -> str:
    """The text a reader sees: without the data blocks and the tags."""
    html = page.read_text(encoding="utf-8")
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


#: The reference dates of these reports: the test bundle's and the sample's (the report's date
#: defaults to today, which would make every expected figure drift).
DAY = dt.date(2025, 6, 1)
SAMPLE_DAY = dt.date(2025, 12, 1)


def _bundle() -> Bundle:
    """Offers on GEPP in Isère and Rhône only, needs on recruitment where there is no offer:
    many in Isère (published), one in Ain (secret), and a commune named by its code."""
    actors = (
        Actor(id="t:dla38", name="DLA de l'Isère", actor_type="dla_departemental",
              territories=("dep:38",)),
        Actor(id="t:mda", name="Maison des associations", actor_type="maison_des_associations",
              territories=("com:38421",)),
    )
    offers = (
        Offer(id="t:o1", actor="t:dla38", title="GEPP en Isère", themes=("gepp",),
              stages=("conseil",), territories=("dep:38", "dep:69")),
        Offer(id="t:o2", actor="t:mda", title="Accueil à Saint-Martin", themes=("gepp",),
              stages=("accueil", "conseil"), territories=("com:38421",)),
        Offer(id="t:o3", actor="t:dla38", title="Offre close", themes=("recrutement",),
              stages=("conseil",), territories=("dep:38",), valid_until=dt.date(2025, 1, 31)),
        Offer(id="t:o4", actor="t:dla38", title="Offre réservée", themes=("recrutement",),
              stages=("conseil",), territories=("dep:38",), visibility="network"),
    )
    needs = tuple(
        Need(id=f"t:n{i}", theme="recrutement", origin="declare", date=dt.date(2025, 2, 1),
             association=f"t:a{i}", territory=territory)
        for i, territory in enumerate(["dep:38"] * 9 + ["com:38421"] * 2 + ["dep:01"]))
    meetings = (Meeting(id="t:m1", kind="cofil", title="COFIL", commune="com:38421",
                        start=dt.datetime(2025, 3, 1, 9, tzinfo=TZ),
                        end=dt.datetime(2025, 3, 1, 12, tzinfo=TZ)),)
    associations = tuple(Association(id=f"t:a{i}", name=f"Association {i}")
                         for i in range(len(needs)))
    return Bundle(source=Source(slug="t", name="Test"),
                  generated_at=dt.datetime(2025, 6, 1, 9, tzinfo=TZ), actors=actors,
                  offers=offers, needs=needs, meetings=meetings, associations=associations)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cofil") / "site"
    build_report(_bundle(), out, today=DAY)
    return out


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "site"
    build_report(load_sample(), out, sheets=True, today=SAMPLE_DAY)
    return out


# --- where needs meet no offer -----------------------------------------------------------------


def test_zones_blanches_with_published_needs_come_first(site: Path) -> None:
    bundle = _bundle()
    published = aggregate(shareable_needs(bundle.needs), by="theme,dep").published()
    isere = published[("recrutement", "dep:38")].needs  # the protected figure, not 11
    assert ("recrutement", "dep:01") not in published  # one association: secret
    tree = _parse(site / "couverture.html")
    headings = [_text(h) for h in tree.iter("h2")]
    assert headings[:2] == ["Zones blanches où des besoins sont observés — Toutes étapes",
                            "Zones blanches — Toutes étapes"]
    needs_table = next(t for t in tree.iter("table") if t.attrib.get("class") == "gaps-needs")
    assert _rows(needs_table) == [["Département", "Thème", "Besoins publiés"],
                                  ["38 Isère", "Recrutement", str(isere)]]
    # A stage's page shows the same published needs (the diagnosis has no stage).
    stage = _parse(site / "couverture-conseil.html")
    table = next(t for t in stage.iter("table") if t.attrib.get("class") == "gaps-needs")
    assert _rows(table)[1:] == [["38 Isère", "Recrutement", str(isere)]]
    # Nowhere a raw count: not the 11 needs of Isère, nor Ain's secret one.
    text = _visible_text(site / "couverture.html")
    assert "01 Ain Recrutement" not in " ".join(text.split())


def test_zones_blanches_are_grouped_by_departement_and_theme(site: Path) -> None:
    tree = _parse(site / "couverture.html")
    assert tree.find(".//ul[@class='gap-list']") is None  # no flat list any more
    by_dep, by_theme = [t for t in tree.iter("table") if t.attrib.get("class") == "gaps"]
    dep_rows = _rows(by_dep)
    assert dep_rows[0] == ["Département", "Nombre", "Thèmes sans offre"]
    assert len(dep_rows) == 1 + 12  # the région's départements, one row each
    isere = next(r for r in dep_rows if r[0] == "38 Isère")
    assert isere[1] == "20" and "Gestion des emplois" not in isere[2]  # 21 themes, GEPP served
    ain = next(r for r in dep_rows if r[0] == "01 Ain")
    assert ain[1] == "21"
    theme_rows = _rows(by_theme)
    assert theme_rows[0] == ["Thème", "Nombre", "Départements sans offre"]
    gepp = next(r for r in theme_rows
                if r[0] == "Gestion des emplois et des parcours professionnels")
    assert gepp[1] == "10" and "38 Isère" not in gepp[2] and "69 Rhône" not in gepp[2]
    assert sum(int(r[1]) for r in dep_rows[1:]) == sum(int(r[1]) for r in theme_rows[1:])


def test_without_needs_no_needs_section(tmp_path: Path) -> None:
    bundle = _bundle()
    build_report(Bundle(source=bundle.source, generated_at=bundle.generated_at,
                        actors=bundle.actors, offers=bundle.offers), tmp_path / "s")
    tree = _parse(tmp_path / "s" / "couverture.html")
    assert [_text(h) for h in tree.iter("h2")] == ["Zones blanches — Toutes étapes"]
    assert len([s for s in tree.iter(SVG + "svg")
                if s.attrib["class"] == "chart tilemap"]) == 1  # no needs map


# --- heatmap cells and their legend ------------------------------------------------------------


def _offer_codes(page: Path) -> list[dict[str, list[str]]]:
    tree = _parse(page)
    return [{"id": [article.attrib["id"]], "theme": article.attrib["data-themes"].split(),
             "etape": article.attrib["data-stages"].split(),
             "dep": article.attrib["data-deps"].split()}
            for article in tree.iter("article")]


def test_heatmap_cells_link_to_the_offers_they_count(sample_site: Path) -> None:
    for name in ("couverture.html", "couverture-conseil.html"):
        tree = _parse(sample_site / name)
        heatmap = next(s for s in tree.iter(SVG + "svg") if "heatmap" in s.attrib["class"])
        links = list(heatmap.iter(SVG + "a"))
        assert len(links) > 100
        for link in links:
            href = link.attrib["href"]
            parts = urlsplit(href)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            count = int(_text(link.find(SVG + "text")).rstrip("*"))
            offers = _offer_codes(sample_site / parts.path)
            # Exactly the offers the cell counts: the page's search shows these.
            matching = [o for o in offers
                        if all(code in o[field] for field, code in query.items())]
            assert len(matching) == count, (name, href)
            if parts.fragment:  # one offer: the link points at it
                assert count == 1 and matching[0]["id"] == [unquote(parts.fragment)]
            assert "Voir ces offres dans l'annuaire" in _text(link.find(SVG + "title"))
        # A zone blanche is not a link.
        assert all(_text(a.find(SVG + "text")) != "×" for a in links)


def test_directory_anchors_are_the_records_ids(sample_site: Path) -> None:
    # The heatmap's links and the JSON-LD @ids (annuaire.html#<id>) name elements of the page.
    for name in ("annuaire.html", "annuaire/dep-38.html"):
        page = sample_site / name
        tree = _parse(page)
        ids = {e.attrib["id"] for e in tree.iter() if isinstance(e.tag, str) and "id" in
               e.attrib}
        block = next(e for e in tree.iter("script")
                     if e.attrib.get("type") == "application/ld+json")
        graph = json.loads(block.text)["@graph"]
        assert graph
        for node in graph:
            target, _, fragment = node["@id"].partition("#")
            assert (page.parent / target).resolve() == (sample_site / "annuaire.html")
            assert unquote(fragment) in ids, node["@id"]


def test_legend_says_cells_count_offers(sample_site: Path) -> None:
    tree = _parse(sample_site / "couverture.html")
    heatmap = next(s for s in tree.iter(SVG + "svg") if "heatmap" in s.attrib["class"])
    texts = [_text(t) for t in heatmap.iter(SVG + "text")]
    legend = texts[texts.index("Légende — Le chiffre d'une case est le nombre d'offres en "
                               "vigueur qui la couvrent."):]
    assert legend[1:9] == [
        "×", "zone blanche", "1", "1 offre : couvert", "2+", "2 offres ou plus : couvert",
        "3+", "3 offres ou plus, dont au moins 3 acteurs sur tout le département : redondant"]


# --- figures that say what they count ----------------------------------------------------------


def test_figures_say_what_they_count(site: Path, tmp_path: Path) -> None:
    public = ("Ce rapport montre les 2 offres publiques en vigueur le 1er juin 2025. Offres "
              "visibles closes ou pas encore ouvertes à cette date, non comptées : 1.")
    for name in ("index.html", "annuaire.html", "annuaire/dep-38.html", "couverture.html",
                 "couverture-conseil.html", "chaine.html"):
        scopes = [_text(p) for p in _parse(site / name).iter("p")
                  if p.attrib.get("class") == "scope"]
        assert scopes and scopes[0].startswith(public), name
    index = _parse(site / "index.html")
    why = next(p for p in index.iter("p") if p.attrib.get("id") == "offres-comptees")
    assert "n'y figurent pas" in _text(why)
    assert "secret statistique" in _text(next(
        p for p in index.iter("p") if p.attrib.get("id") == "besoins-comptes"))
    # The public report never counts what it hides (the network offer).
    assert "3 offres" not in _visible_text(site / "index.html")
    build_report(_bundle(), tmp_path / "net", audience="network", today=DAY)
    scope = next(_text(p) for p in _parse(tmp_path / "net" / "index.html").iter("p")
                 if p.attrib.get("class") == "scope")
    assert scope.startswith("Ce rapport montre les 3 offres visibles des membres des réseaux, "
                            "en vigueur le 1er juin 2025.")


def test_demo_says_why_its_figures_differ(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "-o", str(tmp_path / "demo"), "--lang", "fr"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    sample = load_sample()
    built = build_report(sample, tmp_path / "again", today=SAMPLE_DAY)
    assert lines[2] == (
        f"Offre territoriale : {built.gaps_with_needs} zones blanches département × thème où "
        f"le diagnostic partagé publie des besoins ({built.gaps} zones blanches en tout, "
        "toutes étapes), voir la page couverture du rapport")
    assert lines[6] == (
        f"Offres : le rapport (tout public) montre les {built.offers} offres publiques en "
        f"vigueur le 1er décembre 2025 ; la synthèse ci-dessous compte les {len(sample.offers)} "
        "offres de l'échantillon, toutes visibilités et dates confondues")
    assert built.offers < len(sample.offers)
    assert f"{len(sample.offers)} offres" in result.stdout  # the summary's own count


# --- names, not codes --------------------------------------------------------------------------


def test_pages_name_territories_never_codes(site: Path) -> None:
    code = re.compile(r"\b(com|epci|dep|reg):[0-9A-Z]")
    for page in sorted(site.rglob("*.html")):
        assert not code.search(_visible_text(page)), page
    chain = " ".join(_visible_text(site / "chaine.html").split())
    assert "DLA de l'Isère (38 Isère, 69 Rhône)" in chain
    assert "Maison des associations (Saint-Martin-d'Hères)" in chain
    assert "Saint-Martin-d'Hères" in _visible_text(site / "annuaire.html")
    assert "Saint-Martin-d'Hères" in _visible_text(site / "rencontres.html")


# --- the sheets --------------------------------------------------------------------------------


def test_sheets_are_written_and_linked(sample_site: Path) -> None:
    index = _parse(sample_site / "index.html")
    nav = [(a.attrib["href"], _text(a)) for a in index.find(".//nav").iter("a")]
    assert nav[-1] == (f"{SHEETS_FOLDER}/index.html", "Fiches Les ESSentiels")
    assert (sample_site / SHEETS_FOLDER / "index.html").is_file()
    for name in ("couverture.html", "chaine.html", "annuaire/theme-gepp.html"):
        page = sample_site / name
        links = [a.attrib["href"] for a in _parse(page).iter("a")
                 if SHEETS_FOLDER in a.attrib.get("href", "")]
        assert links, name
        for href in links:
            assert (page.parent / href).resolve().is_file(), (name, href)
    # The chain's heading of a theme leads to its sheet.
    chain = _parse(sample_site / "chaine.html")
    heading = next(h for h in chain.iter("h2") if _text(h).startswith("Recrutement"))
    assert heading.find("a").attrib["href"] == f"{SHEETS_FOLDER}/recrutement.html"


def test_report_command_writes_the_sheets(tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    write_bundle(_bundle(), bundle)
    out = tmp_path / "rapport"
    result = CliRunner().invoke(cli, ["report", str(bundle), "-o", str(out), "--sheets"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        f"wrote {out / SHEETS_FOLDER}: 2 sheet(s), linked from the pages "
        f"(open {out / SHEETS_FOLDER / 'index.html'})")
    assert sorted(p.name for p in (out / SHEETS_FOLDER).glob("*.html")) == [
        "gepp.html", "index.html", "recrutement.html"]
    plain = CliRunner().invoke(cli, ["report", str(bundle), "-o", str(tmp_path / "r2")])
    assert plain.exit_code == 0 and not (tmp_path / "r2" / SHEETS_FOLDER).exists()
    # No theme in the bundle: no sheet, no folder, no link to nothing.
    empty = build_report(Bundle(source=Source(slug="t", name="Test"),
                                generated_at=dt.datetime(2025, 6, 1, 9, tzinfo=TZ)),
                         tmp_path / "r3", sheets=True)
    assert empty.sheets is None and not (tmp_path / "r3" / SHEETS_FOLDER).exists()
    assert SHEETS_FOLDER not in (tmp_path / "r3" / "index.html").read_text(encoding="utf-8")


def test_sheets_written_beside_a_report_are_kept_and_linked(tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    write_bundle(_bundle(), bundle)
    out, fiches = tmp_path / "rapport", tmp_path / "rapport" / SHEETS_FOLDER
    runner = CliRunner()
    assert runner.invoke(cli, ["report", str(bundle), "-o", str(out)]).exit_code == 0
    assert runner.invoke(cli, ["sheet", str(bundle), "--all", "--format", "md,html", "-o",
                               str(fiches)]).exit_code == 0
    assert "audience: public" in (fiches / ".pmae-sheets").read_text(encoding="utf-8")
    # The next report keeps them (same audience) and links them.
    again = runner.invoke(cli, ["report", str(bundle), "-o", str(out), "--force"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[1] == (
        f"kept {fiches}: the sheets pmae sheet wrote there for this audience, linked from the "
        "pages")
    assert (fiches / "gepp.html").is_file() and (fiches / "gepp.md").is_file()
    chain = _parse(out / "chaine.html")
    assert [a.attrib["href"] for a in chain.iter("a") if "fiches" in a.attrib["href"]] == [
        f"{SHEETS_FOLDER}/index.html", f"{SHEETS_FOLDER}/gepp.html"]  # the menu, the theme
    # Sheets for the networks in a public report's folder: refused, nothing deleted (the
    # library says why; the command refuses any folder that is not empty without --force).
    assert runner.invoke(cli, ["sheet", str(bundle), "--all", "--format", "md", "--audience",
                               "network", "-o", str(fiches), "--force"]).exit_code == 0
    refused = runner.invoke(cli, ["report", str(bundle), "-o", str(out)])
    assert refused.exit_code == 2
    assert "pass --force to replace it" in refused.output
    with pytest.raises(FileExistsError, match="written by pmae sheet for network"):
        build_report(_bundle(), out, today=DAY)
    assert (fiches / "recrutement.md").is_file()
    forced = runner.invoke(cli, ["report", str(bundle), "-o", str(out), "--force"])
    assert forced.exit_code == 0 and not fiches.exists()
    # The report's own sheets are its output: a report without --sheets leaves them out.
    assert runner.invoke(cli, ["report", str(bundle), "-o", str(out), "--sheets", "--force"]
                         ).exit_code == 0 and fiches.is_dir()
    assert runner.invoke(cli, ["report", str(bundle), "-o", str(out), "--force"]).exit_code == 0
    assert not fiches.exists()


# --- the map -----------------------------------------------------------------------------------


def test_tile_layout_is_a_map_of_france() -> None:
    assert len(LAYOUT) == 101 and len(set(LAYOUT.values())) == 101

    def at(code: str) -> tuple[int, int]:
        return LAYOUT[f"dep:{code}"]

    # Neighbours keep their sides: west of, north of.
    for west, east in (("29", "22"), ("42", "69"), ("69", "38"), ("63", "43"), ("33", "24"),
                       ("13", "83"), ("54", "88")):
        assert at(west)[0] < at(east)[0], (west, east)
    for north, south in (("59", "02"), ("74", "73"), ("03", "63"), ("38", "26"), ("11", "66"),
                         ("2B", "2A"), ("75", "91")):
        assert at(north)[1] < at(south)[1], (north, south)
    assert all(row == max(r for _, r in LAYOUT.values())
               for code, (_, row) in LAYOUT.items() if len(code) == 7)  # overseas: last row


def test_map_classes_cover_every_value() -> None:
    for values in ([0], [3, 3], [0, 1], [2, 5], list(range(22)), [22, 49, 78, 134]):
        classes = map_classes(values, "needs")
        for value in values:
            assert sum(1 for c in classes if c.low <= value <= c.high) == 1, (values, value)
        if len(set(values)) > 1:
            assert classes[-1].colour == "#2171b5"  # the largest is always the darkest
            assert classes[0].colour == "#eff3ff"


def test_coverage_page_has_tile_maps_with_text(sample_site: Path) -> None:
    tree = _parse(sample_site / "couverture.html")
    maps = [f for f in tree.iter("figure") if f.attrib.get("class") == "map"]
    assert [f.attrib["id"] for f in maps] == ["carte-zones", "carte-besoins"]
    gaps_table = _rows(next(t for t in tree.iter("table") if t.attrib.get("class") == "gaps"))
    per_dep = {row[0]: row[1] for row in gaps_table[1:]}
    zones = maps[0]
    svg = zones.find(SVG + "svg")
    assert svg.attrib["role"] == "img"
    assert svg.find(SVG + "title").text.startswith("Carte : thèmes sans aucune offre")
    assert "Une tuile par département" in svg.find(SVG + "desc").text
    tiles = list(svg.iter(SVG + "a"))
    assert len(tiles) == 12
    for tile in tiles:
        code, value = [_text(t) for t in tile.iter(SVG + "text")]
        name = next(n for n in per_dep if n.startswith(code + " "))
        assert value == per_dep.get(name, "0")
        assert tile.attrib["href"] == f"annuaire/dep-{code}.html"
        assert (sample_site / tile.attrib["href"]).is_file()
    # The legend is text, and a table says everything the colours say.
    assert all(_text(li) for li in zones.find("ul").iter("li"))
    data = _rows(zones.find("details/table"))
    assert data[0] == ["Département", "Nombre"] and len(data) == 13
    # The needs map: published totals only, "non publié" where secrecy hides one.
    needs = _rows(maps[1].find("details/table"))
    shared = aggregate(shareable_needs(load_sample().needs), by="theme,dep")
    margins = shared.published_margins()
    for name, value in needs[1:]:
        code = "dep:" + name.split()[0]
        cell = margins.get(("*", code))
        assert value == ("non publié" if cell is None else str(cell.needs)), name


# --- the search box ----------------------------------------------------------------------------


def _dom(url: str, profile: Path) -> str:
    """The page's DOM once its scripts have run, from a real headless Chromium."""
    completed = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--dump-dom", url],
        capture_output=True, text=True, timeout=90, check=False,
        env={**os.environ, "HOME": str(profile)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    errors = [line for line in completed.stderr.splitlines()
              if ":CONSOLE" in line or "Uncaught" in line]
    assert errors == []
    return completed.stdout


def _fold(text: str) -> str:
    """What the script compares: without accents, in lower case."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f").lower()


def _shown(dom: str) -> list[str]:
    tree = html5lib.parse(dom, namespaceHTMLElements=False)
    return sorted(a.attrib["id"] for a in tree.iter("article") if "hidden" not in a.attrib)


@needs_chromium
def test_search_box_filters_offline_in_chromium(sample_site: Path, tmp_path: Path) -> None:
    page = sample_site / "annuaire.html"
    offers = _offer_codes(page)
    # Words (accents and case folded) and a stage together.
    dom = _dom(page.as_uri() + "?q=GOUVERNANCE+employeur&etape=conseil", tmp_path / "p1")
    tree = html5lib.parse(dom, namespaceHTMLElements=False)
    form = next(f for f in tree.iter("form") if f.attrib.get("id") == "recherche")
    assert "hidden" not in form.attrib  # the script shows the form
    expected = []
    for section in _parse(page).iter("section"):
        actor = "".join(section.find("h2").itertext())
        for article in section.iter("article"):
            text = _fold(actor + " " + "".join(article.itertext()))
            if "gouvernance" in text and "employeur" in text \
                    and "conseil" in article.attrib["data-stages"].split():
                expected.append(article.attrib["id"])
    assert 0 < len(expected) < len(offers)
    shown = _shown(dom)
    assert shown == sorted(expected)
    status = next(p for p in tree.iter("p") if p.attrib.get("id") == "recherche-resultat")
    assert _text(status) == f"{len(shown)} offre(s) affichée(s)"
    # A heatmap cell's link: the département's page filtered on its theme and stage.
    dep_page = sample_site / "annuaire" / "dep-38.html"
    dom = _dom(dep_page.as_uri() + "?theme=modele_economique&etape=appui", tmp_path / "p2")
    assert _shown(dom) == sorted(
        o["id"][0] for o in _offer_codes(dep_page)
        if "modele_economique" in o["theme"] and "appui" in o["etape"])
    # Without JavaScript (the page as written; Chromium's --dump-dom itself needs scripts):
    # the form stays hidden and every offer is listed.
    tree = _parse(page)
    form = next(f for f in tree.iter("form") if f.attrib.get("id") == "recherche")
    assert "hidden" in form.attrib
    assert not [a for a in tree.iter("article") if "hidden" in a.attrib]
    assert len(offers) == 62


# --- screenshots -------------------------------------------------------------------------------


@needs_chromium
@pytest.mark.parametrize(("page", "shot", "height"), [
    ("couverture.html", "report-cofil-couverture.png", 3400),
    ("couverture-conseil.html", "report-cofil-couverture-conseil.png", 3400),
    ("annuaire.html?q=gouvernance&dep=dep%3A38", "report-cofil-recherche.png", 1800),
    ("index.html", "report-cofil-index.png", 1400),
])
def test_screenshots_of_the_new_pages(sample_site: Path, tmp_path: Path, page: str, shot: str,
                                      height: int) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    target = ARTEFACTS / shot
    target.unlink(missing_ok=True)
    url = sample_site.joinpath(page.split("?")[0]).as_uri() + (
        "?" + page.split("?")[1] if "?" in page else "")
    completed = subprocess.run(
        # Every stage of painting done, and the script run, before the picture is taken: on a
        # loaded machine a plain --screenshot may catch a page half drawn.
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000",
         "--disable-background-networking", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={target}",
         f"--window-size=1280,{height}", url],
        capture_output=True, text=True, timeout=90, check=False,
        env={**os.environ, "HOME": str(tmp_path)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 20_000


# --- progress on a terminal only ---------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_and_clears_its_line() -> None:
    stream = _Terminal()
    with TerminalProgress("pmae report", stream=stream, every=0) as progress:
        progress("shared diagnosis", 0, 0)
        progress("index.html", 1, 4)
        progress("annuaire.html", 4, 4)
    drawn = stream.getvalue()
    assert drawn.startswith("\rpmae report: shared diagnosis…")
    assert "\rpmae report [######..................] 1/4 index.html" in drawn
    assert "[########################] 4/4 annuaire.html" in drawn
    assert drawn.endswith("\r")
    assert drawn.rsplit("\r", 2)[-2].strip() == ""  # the line is cleared at the end


def test_progress_writes_nothing_when_not_a_terminal(tmp_path: Path) -> None:
    stream = io.StringIO()
    with TerminalProgress("x", stream=stream, every=0) as progress:
        progress("a", 1, 1)
    assert stream.getvalue() == ""
    bundle = tmp_path / "b.json"
    write_bundle(_bundle(), bundle)
    for args in (["report", str(bundle), "-o", str(tmp_path / "r"), "--sheets"],
                 ["sheet", str(bundle), "--all", "--format", "md,html", "-o",
                  str(tmp_path / "f")]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert "[#" not in result.stderr and "\r" not in result.stderr, args


def _on_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``pmae args`` with standard error on a pseudo-terminal; its exit code and what the
    terminal received."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pmae.cli", *args], cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=follower,
                               env={**os.environ, "PMAE_DISABLE_PLUGINS": "pmae-broken"})
    os.close(follower)
    received = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command is over
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return process.wait(timeout=120), received.decode("utf-8", "replace")


def test_progress_shows_on_a_real_terminal(tmp_path: Path) -> None:
    write_bundle(load_sample(), tmp_path / "b.json")
    code, shown = _on_terminal(["report", "b.json", "-o", "r", "--sheets"], tmp_path)
    assert code == 0, shown
    assert "pmae report: shared diagnosis…" in shown  # before the first page
    assert "pmae report [" in shown and "55/55 pratiques.html" in shown
    assert "21/21" in shown  # the sheets
    code, shown = _on_terminal(["sheet", "b.json", "--all", "--format", "md", "-o", "f"],
                               tmp_path)
    assert code == 0, shown
    assert "pmae sheet [" in shown and "21/21" in shown
