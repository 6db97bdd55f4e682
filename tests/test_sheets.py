"""The thematic sheets (``pmae sheet``): what they list, escaping, the index, the PDF, recording.

HTML pages are parsed with html5lib in strict mode; the PDF is printed by a real headless
Chromium and its first page turned into a PNG by poppler's ``pdftoppm``, decoded here.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import attrs
import html5lib
import pytest
from click.testing import CliRunner

from pmae.cli.sheet import sheet
from pmae.io.bundles import write_bundle
from pmae.io.pipeline import validate_file
from pmae.model import (
    Actor,
    Bundle,
    Meeting,
    Offer,
    Production,
    Resource,
    Source,
    Workshop,
)
from pmae.render.sheets import (
    PdfError,
    as_production,
    build_sheet,
    find_chromium,
    md_escape,
    md_link,
    render_html,
    render_markdown,
    sheet_themes,
    write_sheets,
)
from pmae.sample import load_sample

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
CHROMIUM = shutil.which("chromium")
PDFTOPPM = shutil.which("pdftoppm")
TZ = dt.timezone(dt.timedelta(hours=1))
HOSTILE = "<script>alert(1)</script>"
THEME = "formation_pro"

#: The sample's date: what the sheets made from it are checked against.
SAMPLE_DAY = "2025-12-01"


@pytest.fixture(autouse=True)
def _as_of_the_test_bundle() -> Any:
    """The reference date of these tests is the test bundle's (2025-06-01): the sheets' date
    defaults to the session's, today, which would make every expected list drift."""
    from pmae.sessions import session as current_session
    from pmae.sessions import use_session

    with use_session(current_session().evolve(as_of=dt.date(2025, 6, 1))) as pinned:
        yield pinned


def _offer(id: str, actor: str, territories: tuple[str, ...], **fields: Any) -> Offer:
    fields.setdefault("themes", (THEME,))
    fields.setdefault("stages", ("conseil",))
    return Offer(id=f"t:{id}", actor=f"t:{actor}", title=fields.pop("title", id),
                 territories=territories, **fields)


def _bundle(*, hostile: bool = True) -> Bundle:
    """A small bundle around the theme formation_pro, in the Rhône (dep:69) and Isère."""
    actors = (
        Actor(id="t:lma", name="Le Mouvement associatif", actor_type="coordination_associative",
              territories=("reg:84",), website="https://lma.example.org/"),
        Actor(id="t:dla69", name="DLA du Rhône", actor_type="dla_departemental",
              territories=("dep:69",)),
        Actor(id="t:dla38", name="DLA de l'Isère", actor_type="dla_departemental",
              territories=("dep:38",)),
        Actor(id="t:mda", name="Maison des associations de Lyon",
              actor_type="maison_des_associations", territories=("com:69123",)),
    )
    offers = (
        _offer("regional", "lma", ("reg:84",), stages=("information", "formation")),
        _offer("rhone", "dla69", ("dep:69",), stages=("conseil", "appui"), cost="gratuit"),
        _offer("isere", "dla38", ("dep:38",)),
        _offer("expired", "dla69", ("dep:69",), valid_until=dt.date(2025, 5, 31)),
        _offer("not-yet", "dla69", ("dep:69",), valid_from=dt.date(2025, 9, 1)),
        _offer("restricted", "dla69", ("dep:69",), visibility="restricted",
               recipients=("dla-aura",)),
        _offer("network", "lma", ("reg:84",), visibility="network"),
        _offer("lyon", "mda", ("com:69123",), stages=("accueil",)),
        _offer("other-theme", "dla69", ("dep:69",), themes=("gepp",)),
        _offer("no-stage", "lma", ("fr",), stages=()),
        _offer("hostile", "lma", ("reg:84",), stages=("sensibilisation",),
               title=HOSTILE if hostile else "Sensibiliser",
               url="javascript:alert(1)" if hostile else None),
    )
    resources = (
        Resource(id="t:r-guide", title="Le plan de développement des compétences",
                 kind="guide", publisher="lma", url="https://lma.example.org/guide",
                 themes=(THEME, "gepp")),
        Resource(id="t:r-hostile", title=f"{HOSTILE} *gras* [lien](https://x.example.org)",
                 kind="outil", url="javascript:alert(1)" if hostile else None,
                 themes=(THEME,)),
        Resource(id="t:r-gepp", title="Cartographie des emplois", kind="outil",
                 themes=("gepp",)),
        Resource(id="t:r-restricted", title="Note interne", kind="fiche", themes=(THEME,),
                 visibility="restricted", recipients=("dla-aura",)),
    )
    start = dt.datetime(2025, 3, 20, 9, tzinfo=TZ)
    meetings = (
        Meeting(id="t:m-theme", kind="cofil", title="COFIL formation", start=start,
                end=start + dt.timedelta(hours=3), themes=(THEME,)),
        Meeting(id="t:m-workshop", kind="rencontre_regionale", title="Rencontre",
                start=start + dt.timedelta(days=30), end=start + dt.timedelta(days=30, hours=8),
                workshops=(Workshop(title="Financer la formation", themes=(THEME,)),
                           Workshop(title="Recruter", themes=("recrutement",)))),
        Meeting(id="t:m-other", kind="cofil", title="COFIL gouvernance", start=start,
                end=start + dt.timedelta(hours=3), themes=("gouvernance_employeur",)),
    )
    productions = (
        Production(id="t:p-fiche", kind="fiche_thematique", title="Fiche formation 2024",
                   year=2024, themes=(THEME,), resources=("t:r-guide",)),
        Production(id="t:p-gepp", kind="guide", title="Guide GEPP", year=2025,
                   themes=("gepp",)),
    )
    return Bundle(source=Source(slug="t", name="Test", url="https://t.example.org/"),
                  generated_at=dt.datetime(2025, 6, 1, 9, tzinfo=TZ), actors=actors,
                  offers=offers, resources=resources, meetings=meetings,
                  productions=productions)


def _chain(bundle: Bundle, **options: Any) -> dict[str | None, list[str]]:
    built = build_sheet(bundle, THEME, **options)
    return {step.stage: [entry.offer.id for entry in step.offers] for step in built.chain}


def test_offers_listed_for_theme_and_departement() -> None:
    bundle = _bundle()
    built = build_sheet(bundle, THEME, departement="dep:69")
    # reg:84 and fr contain dep:69; a commune of the Rhône is listed as local; dep:38, the
    # expired, the not-yet-open, the restricted and the network offers are not.
    assert {o.id for o in built.offers()} == {
        "t:regional", "t:rhone", "t:lyon", "t:no-stage", "t:hostile"}
    assert _chain(bundle, departement="dep:69") == {
        "accueil": ["t:lyon"], "information": ["t:regional"], "sensibilisation": ["t:hostile"],
        "conseil": ["t:rhone"], "formation": ["t:regional"], "appui": ["t:rhone"],
        "suivi": [], None: ["t:no-stage"]}
    assert [(e.offer.id, e.local) for step in built.chain for e in step.offers
            if e.offer.id in ("t:lyon", "t:rhone")] == [("t:lyon", True), ("t:rhone", False),
                                                       ("t:rhone", False)]
    assert [a.actor.id for a in built.actors] == ["t:dla69", "t:lma", "t:mda"]
    assert built.territory_label == "69 Rhône"
    isere = build_sheet(bundle, THEME, departement="dep:38")
    assert {o.id for o in isere.offers()} == {"t:regional", "t:isere", "t:no-stage",
                                              "t:hostile"}
    everywhere = build_sheet(bundle, THEME)
    assert {o.id for o in everywhere.offers()} == {
        "t:regional", "t:rhone", "t:isere", "t:lyon", "t:no-stage", "t:hostile"}
    assert everywhere.territory_label == "tous territoires"  # fr is beyond one région
    network = build_sheet(bundle, THEME, departement="dep:69", audience="network")
    assert {o.id for o in network.offers()} - {o.id for o in built.offers()} == {"t:network"}
    everything = build_sheet(bundle, THEME, departement="dep:69", audience="all",
                             today=dt.date(2025, 5, 1))
    assert {o.id for o in everything.offers()} - {o.id for o in built.offers()} == {
        "t:network", "t:restricted", "t:expired"}


def test_resources_meetings_productions_of_the_theme_only() -> None:
    built = build_sheet(_bundle(), THEME, departement="dep:69")
    assert [r.resource.id for r in built.resources] == ["t:r-hostile", "t:r-guide"]
    assert [(r.kind_label, r.publisher) for r in built.resources] == [
        ("Outil", None), ("Guide", "Le Mouvement associatif")]
    assert [(m.meeting.id, m.workshops) for m in built.meetings] == [
        ("t:m-theme", ()), ("t:m-workshop", ("Financer la formation",))]
    assert [p.production.id for p in built.productions] == ["t:p-fiche"]
    assert (built.title, built.group, built.group_label, built.date) == (
        "Les ESSentiels — Formation professionnelle", "B", "Compétences", dt.date(2025, 6, 1))
    assert built.theme_description.startswith("Construire le plan de développement")
    assert [(s.name, s.published) for s in built.sources] == [("Test", dt.date(2025, 6, 1))]


def test_unknown_theme_or_departement_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown theme 'cuisine'"):
        build_sheet(_bundle(), "cuisine")
    with pytest.raises(ValueError, match="is not a département"):
        build_sheet(_bundle(), THEME, departement="reg:84")


def _parse(text: str) -> Any:
    """The page as an element tree; html5lib in strict mode raises on any parse error."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def test_hostile_data_is_inert_in_html() -> None:
    page = render_html(build_sheet(_bundle(), THEME, departement="dep:69"))
    tree = _parse(page)
    hrefs = []
    for element in tree.iter():
        assert element.tag != "script"
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            if name in ("href", "src"):
                hrefs.append(value)
    # The title and the printed URL of the resource link to it.
    assert sorted(hrefs) == ["https://lma.example.org/", "https://lma.example.org/guide",
                             "https://lma.example.org/guide", "https://t.example.org/"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The javascript: URLs (the offer's and the resource's) are shown as text, not linked.
    assert page.count('<span class="url">javascript:alert(1)</span>') == 2
    titles = ["".join(e.itertext()) for e in tree.iter("span")
              if e.attrib.get("class") == "offer-title"]
    assert HOSTILE in titles


def test_hostile_data_is_inert_in_markdown() -> None:
    text = render_markdown(build_sheet(_bundle(), THEME, departement="dep:69"))
    assert "<" not in text and ">" not in text  # no raw HTML, no autolink
    for target in re.findall(r"\]\(([^)]*)\)", text):
        assert target.startswith("https://"), target
    lines = text.splitlines()
    # No link from the title (brackets escaped); the javascript: URL is text.
    assert ("- &lt;script&gt;alert(1)&lt;/script&gt; \\*gras\\* \\[lien\\]"
            "(https://x.example.org) (javascript:alert(1)) — Outil") in lines
    assert ("- **&lt;script&gt;alert(1)&lt;/script&gt; (javascript:alert(1))** — "
            "Le Mouvement associatif (Auvergne-Rhône-Alpes)") in lines
    assert ("- [Le plan de développement des compétences](https://lma.example.org/guide) "
            "— Guide, Le Mouvement associatif") in lines
    assert "- **rhone** — DLA du Rhône (69 Rhône · Gratuit)" in lines
    assert "- **lyon** — Maison des associations de Lyon (Lyon, une partie du " \
           "territoire seulement)" in lines
    assert "- 19 avril 2025 — Rencontre · Rencontre régionale · Ateliers : Financer la " \
           "formation" in lines
    assert lines[0] == "# Les ESSentiels — Formation professionnelle"


def test_markdown_escaping_rules() -> None:
    assert md_escape("a <b> & c") == "a &lt;b&gt; &amp; c"
    assert md_escape("*x* _y_ `z` [a](b) |t| ~s~ \\") == \
        "\\*x\\* \\_y\\_ \\`z\\` \\[a\\](b) \\|t\\| \\~s\\~ \\\\"
    assert md_escape("# titre\n\n---\nsuite") == "\\# titre --- suite"
    assert md_escape("1. un") == "1\\. un"
    assert md_escape("- puce") == "\\- puce"
    assert md_escape(None) == ""
    assert md_link("site", "https://a.example.org/x (y)") == "site (https://a.example.org/x (y))"
    assert md_link("site", "https://a.example.org/p(1)") == "[site](https://a.example.org/p%281%29)"
    assert md_link("x", "javascript:alert(1)") == "x (javascript:alert(1))"
    assert md_link("x", "data:text/html,<b>") == "x (data:text/html,&lt;b&gt;)"


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(sheet, list(args))


def test_all_on_the_sample_writes_every_theme_and_an_index(tmp_path: Path) -> None:
    sample_file = tmp_path / "sample.json"
    write_bundle(load_sample(), sample_file)
    out = tmp_path / "fiches"
    result = _invoke(str(sample_file), "--all", "--format", "md,html", "-o", str(out),
                     "--date", SAMPLE_DAY, "--lang", "fr")
    assert result.exit_code == 0, result.output
    themes = sheet_themes(load_sample())
    assert len(themes) == 21
    assert result.output == f"écrit : {out} : 21 fiche(s), 44 fichier(s)\n"
    expected = {f"{t}.{ext}" for t in themes for ext in ("md", "html")}
    assert {p.name for p in out.iterdir()} == expected | {"index.md", "index.html",
                                                          ".pmae-sheets"}
    index = _parse((out / "index.html").read_text(encoding="utf-8"))
    links = [a.attrib["href"] for a in index.iter("a") if "example" not in a.attrib["href"]]
    assert links == [name for t in themes for name in (f"{t}.html", f"{t}.md")]
    for name in sorted(expected):
        if name.endswith(".html"):
            _parse((out / name).read_text(encoding="utf-8"))  # strict: raises on an error
    index_md = (out / "index.md").read_text(encoding="utf-8")
    assert "- **[Formation professionnelle](formation_pro.md)** — 3 offre(s), 4 " \
           "ressource(s) · [HTML](formation_pro.html)" in index_md.splitlines()
    # A folder that is not one of sheets is kept, unless --force.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    refused = _invoke(str(sample_file), "--theme", THEME, "--format", "md", "-o", str(mine))
    assert refused.exit_code == 2 and "is a folder that is not empty" in refused.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    # A folder of sheets is kept without --force too, and replaced as a whole with it.
    kept = _invoke(str(sample_file), "--theme", THEME, "--lang", "en", "--format", "md",
                   "-o", str(out), "--date", SAMPLE_DAY)
    assert kept.exit_code == 2 and "pass --force to replace it" in kept.output
    assert (out / "index.html").exists()
    again = _invoke(str(sample_file), "--theme", THEME, "--lang", "en", "--format", "md",
                    "-o", str(out), "--date", SAMPLE_DAY, "--force")
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir()) == [".pmae-sheets", "formation_pro.md"]
    assert (out / "formation_pro.md").read_text(encoding="utf-8").startswith(
        "# Les ESSentiels — Vocational training\n")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB rows of an 8-bit RGB PNG (what pdftoppm writes), unfiltered."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, colour) == (8, 2)
    raw, stride, rows = zlib.decompress(idat), width * 3, []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - 3] if i >= 3 else 0
            up, corner = previous[i], previous[i - 3] if i >= 3 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                      else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


@pytest.mark.skipif(CHROMIUM is None or PDFTOPPM is None,
                    reason="needs Debian's chromium and poppler-utils (pdftoppm)")
def test_the_pdf_renders(tmp_path: Path) -> None:
    # PDF alone: the HTML it is printed from is not kept.
    result = write_sheets(load_sample(), tmp_path / "fiches", themes=[THEME],
                          departement="dep:69", formats=("pdf",))
    assert result.files == ("formation_pro.pdf",)
    assert sorted(p.name for p in result.path.iterdir()) == [".pmae-sheets",
                                                             "formation_pro.pdf"]
    pdf = result.path / "formation_pro.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run([str(PDFTOPPM), "-png", "-f", "1", "-l", "1", "-r", "50", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    png = tmp_path / "page-1.png"
    ARTEFACTS.mkdir(exist_ok=True)
    shutil.copyfile(png, ARTEFACTS / "sheet-page-1.png")
    width, height, rows = _png_pixels(png)
    assert (width, height) == (414, 585)  # A4 at 50 dpi
    white = b"\xff\xff\xff"
    inked = sum(1 for row in rows for x in range(width) if row[3 * x:3 * x + 3] != white)
    assert inked > width * height // 20  # far from a blank page
    # The dark header band of the sheet sits near the top, inside the 15 mm margin.
    band = rows[50][3 * (width // 2):3 * (width // 2) + 3]
    assert band == bytes((0x10, 0x2A, 0x43))
    assert rows[5][3 * 5:3 * 5 + 3] == white  # the page margin


def test_record_adds_a_valid_production(tmp_path: Path) -> None:
    bundle_file = tmp_path / "b.json"
    write_bundle(_bundle(hostile=False), bundle_file)
    before = bundle_file.read_bytes()
    out = tmp_path / "fiches"
    args = [str(bundle_file), "--theme", THEME, "--dep", "69", "--format", "md,html", "-o",
            str(out), "--record", "--by", "t:lma", "--by", "t:dla69", "--lang", "fr"]
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    report = validate_file(bundle_file)
    assert report.issues == []
    assert report.bundle is not None
    recorded = report.bundle.productions[-1]
    assert recorded == Production(
        id="t:essentiels-formation_pro-69-2025", kind="fiche_thematique",
        title="Les ESSentiels — Formation professionnelle (69 Rhône)", year=2025,
        themes=(THEME,), authors=("t:lma", "t:dla69"),
        resources=("t:r-hostile", "t:r-guide"))
    # The same sheet made again replaces its production; the rest of the bundle is kept.
    assert _invoke(*args, "--force").exit_code == 0
    again = validate_file(bundle_file)
    assert again.issues == [] and again.bundle is not None
    assert [p.id for p in again.bundle.productions] == [
        "t:p-fiche", "t:p-gepp", "t:essentiels-formation_pro-69-2025"]
    assert attrs.evolve(again.bundle, productions=again.bundle.productions[:2]) == \
        attrs.evolve(report.bundle, productions=report.bundle.productions[:2])
    # An unknown author: usage error, nothing written.
    write_bundle(_bundle(hostile=False), bundle_file)
    refused = _invoke(str(bundle_file), "--theme", THEME, "--format", "md", "-o",
                      str(tmp_path / "other"), "--record", "--by", "t:nobody")
    assert refused.exit_code == 2 and "'t:nobody' is not an actor" in refused.output
    assert bundle_file.read_bytes() == before
    assert not (tmp_path / "other").exists()


def test_as_production_follows_the_audience() -> None:
    built = build_sheet(_bundle(), THEME, audience="recipient:dla-aura")
    production = as_production(built, id="t:x", authors=["t:lma"])
    assert (production.visibility, production.recipients, production.title) == (
        "restricted", ("dla-aura",), "Les ESSentiels — Formation professionnelle")
    assert production.resources == ("t:r-hostile", "t:r-guide", "t:r-restricted")
    assert as_production(build_sheet(_bundle(), THEME), id="t:y").visibility == "public"


def test_command_usage_errors(tmp_path: Path) -> None:
    bundle_file = tmp_path / "b.json"
    write_bundle(_bundle(hostile=False), bundle_file)
    out = str(tmp_path / "out")
    for args, message in (
        ([], "give --theme THEME or --all"),
        (["--theme", THEME, "--all"], "give --theme THEME or --all"),
        (["--theme", "cuisine"], "unknown theme 'cuisine'"),
        (["--theme", THEME, "--dep", "99"], "--dep '99' is not a département code"),
        (["--theme", THEME, "--format", "md,docx"], "--format: choose among md,html,pdf"),
        (["--theme", THEME, "--by", "t:lma"], "--record needs --by ACTOR_ID"),
        (["--theme", THEME, "--audience", "everyone"], "unknown audience 'everyone'"),
    ):
        result = _invoke(str(bundle_file), *args, "-o", out)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert not Path(out).exists()


def test_write_sheets_lang_en(tmp_path: Path) -> None:
    result = write_sheets(_bundle(), tmp_path / "en", themes=[THEME], departement="dep:69",
                          formats=("html",), lang="en")
    assert result.files == ("formation_pro.html",)
    page = (tmp_path / "en" / "formation_pro.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Who supports, at each stage" in page
    assert "Vocational training" in page and "Formation professionnelle" not in page


def test_no_chromium_for_a_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMAE_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(PdfError, match="is not an executable"):
        find_chromium()
    bundle_file = tmp_path / "b.json"
    write_bundle(_bundle(hostile=False), bundle_file)
    result = _invoke(str(bundle_file), "--theme", THEME, "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "or leave pdf out: --format md,html" in result.output
    assert not (tmp_path / "out").exists()
