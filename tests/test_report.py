"""The report (``pmae report``): a static site that shows only what the audience may see.

Pages are parsed for real with html5lib in strict mode, and the sample's report is opened in a
real headless Chromium (Debian's ``chromium``); the screenshots go to ``tests/artefacts/``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import html5lib
import pytest
from click.testing import CliRunner

from pmae.analysis.shared_diagnosis import aggregate
from pmae.cli.report import report
from pmae.io.bundles import write_bundle
from pmae.model import Actor, Bundle, Meeting, Need, Offer, Registration, Source, Speaker
from pmae.render.report import MARKER, SEARCH_SCRIPT, build_report
from pmae.sample import load_sample

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
CHROMIUM = Path("/usr/bin/chromium")
TZ = dt.timezone(dt.timedelta(hours=1))
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_NAME = '" onmouseover="x'
DATA_URLS = {"https://www.dla-69.example.org/", "https://www.dla-69.example.org/premier-emploi"}


def _bundle() -> Bundle:
    """A small bundle with hostile text, a restricted offer and a network actor."""
    actors = (
        Actor(id="t:dla69", name="DLA du Rhône", actor_type="dla_departemental",
              territories=("dep:69",), website="https://www.dla-69.example.org/"),
        Actor(id="t:hostile", name=HOSTILE_NAME + " Maison", actor_type="maison_des_associations",
              territories=("com:69123",), website="javascript:alert(1)"),
        Actor(id="t:secret-network", name="Réseau caché des membres",
              actor_type="reseau_sectoriel", territories=("reg:84",), visibility="network"),
    )
    offers = (
        Offer(id="t:o1", actor="t:dla69", title="Premier emploi", themes=("recrutement",),
              stages=("conseil",), territories=("dep:69",),
              url="https://www.dla-69.example.org/premier-emploi"),
        Offer(id="t:o2", actor="t:hostile", title=HOSTILE_TITLE, themes=("recrutement",),
              stages=("accueil",), territories=("com:69123",), url="javascript:alert(1)"),
        Offer(id="t:o3", actor="t:dla69", title="Offre réservée aux DLA",
              themes=("gepp",), stages=("appui",), territories=("dep:69",),
              visibility="restricted", recipients=("dla-aura",)),
        Offer(id="t:o4", actor="t:secret-network", title="Offre du réseau caché",
              themes=("paie_declarations",), stages=("formation",), territories=("reg:84",)),
        Offer(id="t:o5", actor="t:dla69", title="Lien data", themes=("gepp",),
              stages=("information",), territories=("dep:69",),
              url="data:text/html,<script>alert(1)</script>"),
    )
    meetings = (Meeting(
        id="t:m1", kind="rencontre_regionale", title=HOSTILE_TITLE + " Rencontre",
        start=dt.datetime(2025, 3, 20, 9, tzinfo=TZ), end=dt.datetime(2025, 3, 20, 17, tzinfo=TZ),
        place=HOSTILE_NAME, speakers=(Speaker(organisation="Uniformation", outside=True),),
        registrations=(Registration(actor="t:dla69", attended=True),
                       Registration(actor="t:hostile", attended=False))),)
    return Bundle(source=Source(slug="t", name="Test", url="javascript:alert(1)"),
                  generated_at=dt.datetime(2025, 6, 1, 9, tzinfo=TZ), actors=actors,
                  offers=offers, meetings=meetings)


def _parse(path: Path) -> Any:
    """The page as an element tree; html5lib in strict mode raises on any parse error."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_text(encoding="utf-8"))


def _pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "site"
    build_report(_bundle(), out, today=dt.date(2025, 6, 1))
    return out


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "site"
    build_report(load_sample(), out, today=dt.date(2025, 12, 1))
    return out


def test_pages_written(hostile_site: Path) -> None:
    names = sorted(p.relative_to(hostile_site).as_posix() for p in _pages(hostile_site))
    assert names[:3] == ["annuaire.html", "annuaire/dep-01.html", "annuaire/dep-03.html"]
    for name in ("index.html", "couverture.html", "couverture-conseil.html", "chaine.html",
                 "rencontres.html", "annuaire/theme-recrutement.html",
                 "annuaire/etape-accueil.html", "annuaire/dep-69.html"):
        assert name in names
    assert "diagnostic.html" not in names  # no needs: no diagnosis page, no link to it
    assert "diagnostic.html" not in (hostile_site / "index.html").read_text(encoding="utf-8")
    assert (hostile_site / MARKER).read_text(encoding="utf-8").startswith("pmae report\n")


def test_public_report_hides_restricted_and_network_records(hostile_site: Path) -> None:
    everything = "\n".join(p.read_text(encoding="utf-8") for p in hostile_site.rglob("*")
                           if p.is_file())
    for hidden in ("Offre réservée aux DLA", "t:o3", "Réseau caché", "t:secret-network",
                   "Offre du réseau caché", "t:o4"):
        assert hidden not in everything
    assert "Premier emploi" in everything


def test_hostile_data_is_inert(hostile_site: Path) -> None:
    for page in _pages(hostile_site):
        tree = _parse(page)
        for element in tree.iter():
            tag = element.tag if isinstance(element.tag, str) else ""
            if tag.endswith("script") and "src" in element.attrib:
                # The one script: the site's own search file, the same on every directory page
                # and the same as the package's (no data from the bundle in it).
                root = "../" * len(page.relative_to(hostile_site).parts[:-1])
                assert element.attrib == {"src": f"{root}assets/{SEARCH_SCRIPT}", "defer": ""}
                assert page.name.startswith(("annuaire", "dep-", "theme-", "etape-")), page
                assert not (element.text or "").strip(), page
                continue
            if tag.endswith("script"):  # else only the schema.org data blocks: data, never code
                assert element.attrib == {"type": "application/ld+json"}, page
                assert "<" not in element.text and json.loads(element.text), page
                continue
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), (page, name)
                if name in ("href", "src"):
                    assert not value.strip().lower().startswith(("javascript:", "data:")), page
    packaged = resources.files("pmae.render.report") / "assets" / SEARCH_SCRIPT
    assert (hostile_site / "assets" / SEARCH_SCRIPT).read_bytes() == packaged.read_bytes()
    assert sorted(p.name for p in (hostile_site / "assets").iterdir()) == [SEARCH_SCRIPT]
    directory = (hostile_site / "annuaire.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in directory
    assert "&#34; onmouseover=&#34;x Maison" in directory
    # Unsafe URLs are shown as text, not linked.
    assert directory.count("javascript:alert(1)") == 2
    assert "data:text/html,&lt;script&gt;" in directory
    meetings = (hostile_site / "rencontres.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Rencontre" in meetings


def _links(tree: Any) -> list[tuple[str, str, str]]:
    return [(str(e.tag), name, e.attrib[name]) for e in tree.iter() for name in ("href", "src")
            if isinstance(e.tag, str) and name in e.attrib]


def test_no_external_url_but_the_data_links(hostile_site: Path) -> None:
    seen = set()
    for page in _pages(hostile_site):
        for tag, name, value in _links(_parse(page)):
            parts = urlsplit(value)
            if parts.scheme or value.startswith("//"):
                assert (tag, name) == ("a", "href"), (page, tag, value)
                assert value in DATA_URLS, (page, value)
                seen.add(value)
            else:
                target = (page.parent / parts.path).resolve() if parts.path else page
                assert target.is_file(), (page, value)  # relative links all resolve
    assert seen == DATA_URLS


def test_every_sample_page_is_valid_html(sample_site: Path) -> None:
    pages = _pages(sample_site)
    assert len(pages) == 55
    for page in pages:
        tree = _parse(page)  # strict: raises on the first parse error
        root = tree.getroot() if hasattr(tree, "getroot") else tree
        html = root if root.tag == "html" else root.find("html")
        assert html is not None and html.attrib["lang"] == "fr"
        assert html.find("head/meta[@charset='utf-8']") is not None
        assert html.find("head/title").text
        footer = "".join(html.find("body/footer").itertext())
        assert "données publiées le 1er décembre 2025" in footer
        assert "Public : tout public" in footer
        assert "Licence : etalab-2.0" in footer
        for tag, _, value in _links(tree):
            assert not urlsplit(value).scheme or (tag == "a" and value.startswith("https://"))


def test_lang_en_switches_the_texts(tmp_path: Path) -> None:
    result = build_report(_bundle(), tmp_path / "en", lang="en", today=dt.date(2025, 6, 1))
    assert result.path == tmp_path / "en"
    index = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index
    assert ">Directory</a>" in index and ">Support chain</a>" in index
    assert "Annuaire" not in index and "Chiffres clés" not in index
    directory = (tmp_path / "en" / "annuaire.html").read_text(encoding="utf-8")
    assert "Recruitment" in directory and "Recrutement" not in directory


def test_directory_filters_are_static_pages(hostile_site: Path) -> None:
    def titles(name: str) -> list[str]:
        tree = _parse(hostile_site / "annuaire" / name)
        return sorted("".join(h.itertext()).strip() for h in tree.iter("h3"))

    assert titles("theme-recrutement.html") == ["<script>alert(1)</script>", "Premier emploi"]
    assert titles("theme-gepp.html") == ["Lien data"]
    assert titles("etape-conseil.html") == ["Premier emploi"]
    assert titles("dep-69.html") == ["<script>alert(1)</script>", "Lien data", "Premier emploi"]
    assert titles("dep-01.html") == []


def test_meetings_page(hostile_site: Path) -> None:
    tree = _parse(hostile_site / "rencontres.html")
    rows = [["".join(td.itertext()).strip() for td in tr.iter("td")]
            for tr in tree.iter("tr")][1:]
    assert rows == [["20 mars 2025", "Rencontre régionale", "<script>alert(1)</script> Rencontre",
                     HOSTILE_NAME, "Uniformation", "—", "1"]]


def test_diagnosis_shows_only_published_values(tmp_path: Path) -> None:
    cells = ([("recrutement", "dep:69")] * 4 + [("recrutement", "dep:38")] * 3
             + [("recrutement", "dep:01")] + [("gepp", "dep:69")] * 3 + [("gepp", "dep:38")] * 4
             + [("gepp", "dep:01")])
    needs = tuple(Need(id=f"t:n{i}", theme=theme, origin="declare", date=dt.date(2025, 2, 1),
                       association=f"t:a{i}", territory=territory)
                  for i, (theme, territory) in enumerate(cells))
    bundle = Bundle(source=Source(slug="t", name="Test"),
                    generated_at=dt.datetime(2025, 6, 1, 9, tzinfo=TZ), needs=needs,
                    actors=_bundle().actors[:1])
    build_report(bundle, tmp_path / "site", today=dt.date(2025, 6, 1))
    tree = _parse(tmp_path / "site" / "diagnostic.html")
    table = [["".join(c.itertext()).strip() for c in tr if isinstance(c.tag, str)]
             for tr in tree.iter("tr")]
    shared = aggregate(needs, by="theme,dep")
    published, totals = shared.published(), shared.published_margins()

    def shown(cell: Any) -> str:
        return "s" if cell is None else str(cell.needs)

    columns = sorted({key[1] for key in published})
    themes = [t for t in ("recrutement", "gepp") if any(k[0] == t for k in published)]
    labels = {"recrutement": "Recrutement",
              "gepp": "Gestion des emplois et des parcours professionnels",
              "dep:01": "01 Ain", "dep:38": "38 Isère", "dep:69": "69 Rhône"}
    # Every figure on the page is a published one; every other cell is "s", hidden and
    # empty alike (the page lists no hidden cell as such).
    assert table == [
        ["Thème", *(labels[c] for c in columns), "Total"],
        *([labels[t], *(shown(published.get((t, c))) for c in columns),
           shown(totals.get((t, "*")))] for t in themes),
        ["Total", *(shown(totals.get(("*", c))) for c in columns), shown(totals.get(("*", "*")))],
    ]
    # Ain has one need by theme: never shown, not even as a column of "s".
    assert len(table) == 4 and "dep:01" not in columns
    for (theme, dep), _cell in shared.cells.items():
        if (theme, dep) not in published and dep in columns:
            row = next(r for r in table if r[0] == labels[theme])
            assert row[1 + columns.index(dep)] == "s"
    index = _parse(tmp_path / "site" / "index.html")
    figures = ["".join(li.itertext()).split() for li in index.iter("li")
               if li.attrib.get("class") is None and li.find("span") is not None]
    assert [str(shared.source()["needs"]), "besoins", "exprimés"] in figures


def _valid_bundle() -> Bundle:
    """The hostile bundle without its unsafe URLs, which validation refuses."""
    bundle = _bundle()
    return attrs.evolve(
        bundle, source=attrs.evolve(bundle.source, url=None),
        actors=tuple(attrs.evolve(a, website=None) if a.id == "t:hostile" else a
                     for a in bundle.actors),
        offers=tuple(attrs.evolve(o, url=None) if o.id in ("t:o2", "t:o5") else o
                     for o in bundle.offers))


def test_command_validates_refuses_and_replaces(tmp_path: Path) -> None:
    runner = CliRunner()
    bundle_file = tmp_path / "b.json"
    write_bundle(_valid_bundle(), bundle_file)
    out = tmp_path / "site"
    result = runner.invoke(report, [str(bundle_file), "-o", str(out), "--date", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert result.output == (f"wrote {out}: 54 pages for the audience public "
                             f"(open {out / 'index.html'})\n")
    # A previous report is kept without --force (nothing is overwritten unasked), replaced
    # as a whole with it.
    (out / "stale.html").write_text("old", encoding="utf-8")
    kept = runner.invoke(report, [str(bundle_file), "-o", str(out), "--lang", "en"])
    assert kept.exit_code == 2
    assert "is a folder that is not empty: choose another path, or pass --force" in kept.output
    assert (out / "stale.html").exists()
    assert runner.invoke(report, [str(bundle_file), "-o", str(out), "--lang", "en", "--force"]
                         ).exit_code == 0
    assert not (out / "stale.html").exists()
    assert '<html lang="en">' in (out / "index.html").read_text(encoding="utf-8")
    # A folder that is not a report is kept, unless --force.
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    refused = runner.invoke(report, [str(bundle_file), "-o", str(other)])
    assert refused.exit_code == 2
    assert "is a folder that is not empty" in refused.output
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    assert runner.invoke(report, [str(bundle_file), "-o", str(other), "--force"]).exit_code == 0
    assert not (other / "notes.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    # An invalid bundle (validation refuses javascript: and data: URLs): exit 1, its issues,
    # nothing written.
    bad = tmp_path / "bad.json"
    write_bundle(_bundle(), bad)
    failed = runner.invoke(report, [str(bad), "-o", str(tmp_path / "nothing")])
    assert failed.exit_code == 1
    assert f"{bad}:$.offers[1].url: error [invalid-format]" in failed.output
    assert not (tmp_path / "nothing").exists()
    assert runner.invoke(report, [str(bundle_file), "-o", str(out), "--audience", "everyone"]
                         ).exit_code == 2


def _chromium(url: str, screenshot: Path, profile: Path) -> str:
    """Open ``url`` in headless Chromium, save a screenshot, return its log (stderr)."""
    completed = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         f"--screenshot={screenshot}", "--window-size=1280,2000", url],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "HOME": str(profile)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stderr


def _console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def _png_colours(path: Path) -> int:
    """How many distinct byte values the decoded pixel rows hold (1 or 2: a blank image)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        if kind == b"IDAT":
            chunks.append(data[offset + 8:offset + 8 + length])
        offset += 12 + length
    return len(set(zlib.decompress(b"".join(chunks))))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")
def test_sample_report_renders_in_chromium(sample_site: Path, tmp_path: Path) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    # The check itself is checked: a page with a script error is caught.
    broken = tmp_path / "broken.html"
    broken.write_text('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x'
                      '</title></head><body><script>throw new Error("bad")</script></body>'
                      '</html>', encoding="utf-8")
    log = _chromium(broken.as_uri(), tmp_path / "broken.png", tmp_path / "profile-0")
    assert any("Uncaught Error: bad" in line for line in _console_errors(log))
    for index, page in enumerate(("index.html", "couverture.html")):
        shot = ARTEFACTS / f"report-{page.removesuffix('.html')}.png"
        shot.unlink(missing_ok=True)
        log = _chromium((sample_site / page).as_uri(), shot, tmp_path / f"profile-{index + 1}")
        assert _console_errors(log) == []
        assert shot.stat().st_size > 10_000
        assert _png_colours(shot) > 50


def test_site_copy_is_self_contained(sample_site: Path, tmp_path: Path) -> None:
    # Moved elsewhere, the site still works: every link is relative.
    copy = tmp_path / "moved"
    shutil.copytree(sample_site, copy)
    for page in _pages(copy):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)="(/|file:)', text), page
