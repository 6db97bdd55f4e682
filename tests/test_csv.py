"""The built-in CSV exporter and importer (``csv``, ``csv-zip``; docs/csv.md).

Round trips go through :func:`pmae.exchange.export_bundle` and :func:`pmae.exchange.import_file`,
so the core's guarantees (audience filter, atomic folder, validation with located issues) are
exercised with the real plugin manager.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from strategies import bundles

from pmae.cli import cli
from pmae.default_plugins.csv_tables import (
    Column,
    Dialect,
    join_list,
    layout,
    parse_cell,
    protect,
    split_list,
    unprotect,
)
from pmae.exchange import export_bundle, import_file
from pmae.io.audience import filter_bundle
from pmae.io.bundles import write_bundle
from pmae.io.pipeline import validate_file
from pmae.issues import Issue
from pmae.model import (
    Actor,
    Association,
    Bundle,
    Diagnosis,
    Meeting,
    Person,
    Provenance,
    Source,
    Speaker,
    Workshop,
)
from pmae.plugins.items import ExportError
from pmae.plugins.manager import make_plugin_manager
from pmae.sample import load_sample

BOM = b"\xef\xbb\xbf"
PARIS = dt.timezone(dt.timedelta(hours=1))
SOURCE = Source(slug="lma-ra", name='LMA; "RA"')
GENERATED = dt.datetime(2025, 3, 14, 9, 0, tzinfo=PARIS)

#: Pieces of text that break naive CSV code: formula triggers, the list separator and its
#: escapes, quotes, both delimiters, line ends and a leading quote.
FRAGMENTS = ("=SUM(A1)", "+33 4 72 00 00 00", "-5", "@x", "\t", "\r", "\n", "\r\n", " | ",
             "|", "\\", "\\|", "\\\\", '"', "'", "''", ";", ",", " ", "é", "\u200b", "\ufeff",
             "\uff1d", "\u00a0")
#: Any character a bundle's text may hold (not NUL and other controls, refused by validation).
_TEXT_CHARACTERS = st.characters(exclude_categories=("Cc", "Cs"),
                                 exclude_characters="\u202a\u202b\u202c\u202d\u202e"
                                                    "\u2066\u2067\u2068\u2069")
tricky = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(_TEXT_CHARACTERS, max_size=3)),
                  min_size=1, max_size=5).map("".join)
tricky_names = tricky.filter(bool)
answers = st.one_of(
    st.none(), st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False), tricky,
    st.sampled_from(["5", "-5", "3,5", "1e5", "", "'", "null", "true"]),
)


def _tiny() -> Bundle:
    return Bundle(
        source=SOURCE, generated_at=GENERATED,
        actors=(Actor(id="lma-ra:a1", name="=SUM(A1)", actor_type="dla_departemental",
                      territories=("reg:84", "dep:69")),),
    )


@st.composite
def tricky_bundles(draw: st.DrawFn) -> Bundle:
    """A valid bundle whose free-text fields (scalars, lists, nested tables) are all tricky."""
    def text() -> str:
        return draw(tricky_names)

    start = dt.datetime(2025, 3, 14, 9, 0, tzinfo=PARIS)
    return Bundle(
        source=Source(slug="lma-ra", name=text()), generated_at=start, licence=text(),
        description=text(),
        provenance=(Provenance(source=Source(slug="cress", name=text()), generated_at=start,
                               file=draw(tricky), records=draw(st.integers(0, 2**53))),),
        actors=(Actor(id="lma-ra:a1", name=text(), actor_type="dla_departemental",
                      description=text(), address=text(),
                      contacts=(Person(name=text(), role=text()),)),),
        associations=(Association(id="lma-ra:as1", name=text(), fte=draw(st.floats(0, 9)),
                                  visibility="network"),),
        diagnoses=(Diagnosis(
            id="lma-ra:d1", association="lma-ra:as1", tool="t", tool_version="1",
            date=dt.date(2025, 1, 1), visibility="network",
            answers=draw(st.dictionaries(st.sampled_from(["q1", "q.2", "Q-3"]), answers)),
            scores=draw(st.dictionaries(st.sampled_from(["a", "b"]), st.floats(0, 100))),
            levels={"a": text()}, alerts=tuple(draw(st.lists(tricky_names, max_size=3))),
        ),),
        meetings=(Meeting(
            id="lma-ra:m1", kind="cofil", title=text(), start=start,
            end=start + dt.timedelta(hours=3), place=text(),
            speakers=(Speaker(organisation=text(), topic=text(),
                              person=Person(name=text())),),
            workshops=(Workshop(title=text(), room=text()),),
        ),),
    )


def _roundtrip(bundle: Bundle, folder: Path, fmt: str, dialect: str) -> list[Issue]:
    output = folder / ("out.zip" if fmt == "csv-zip" else "out")
    export_bundle(bundle, fmt, output, audience="all", options={"dialect": dialect})
    report = import_file("csv", output)
    assert report.bundle == bundle
    return report.issues


# --- the layout and the cells ----------------------------------------------------------------


def test_layout_comes_from_the_schemas() -> None:
    headers = {table.file: table.header() for table in layout()}
    assert list(headers)[:4] == ["bundle.csv", "provenance.csv", "actors.csv",
                                 "actor_contacts.csv"]
    assert headers["bundle.csv"] == ["format_version", "source.slug", "source.name",
                                     "source.url", "source.contact_email", "generated_at",
                                     "licence", "description"]
    assert headers["actor_contacts.csv"] == ["actor_id", "name", "role", "email", "phone"]
    assert headers["meeting_speakers.csv"] == [
        "meeting_id", "person.name", "person.role", "person.email", "person.phone",
        "organisation", "actor", "outside", "topic"]
    assert headers["meeting_registrations.csv"] == ["meeting_id", "actor", "participants",
                                                    "attended"]
    assert headers["diagnosis_answers.csv"] == ["diagnosis_id", "question", "value", "type"]
    assert headers["diagnosis_scores.csv"] == ["diagnosis_id", "dimension", "value"]
    assert headers["diagnosis_levels.csv"] == ["diagnosis_id", "dimension", "value"]
    assert "meeting_workshops.csv" in headers


@pytest.mark.parametrize(("text", "cell"), [
    ("=SUM(A1)", "'=SUM(A1)"), ("+33 4", "'+33 4"), ("-5", "'-5"), ("@x", "'@x"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("\nx", "'\nx"), ("'x", "''x"), ("'", "''"),
    ("", "'"), ("a=b", "a=b"), ("é", "é"),
])
def test_protect(text: str, cell: str) -> None:
    assert (protect(text), unprotect(cell)) == (cell, text)


def test_a_hand_typed_leading_quote_is_kept() -> None:
    assert (unprotect("'abc"), unprotect("l'Isère")) == ("'abc", "l'Isère")


@given(st.text())
def test_protect_round_trips(text: str) -> None:
    cell = protect(text)
    assert unprotect(cell) == text
    assert cell != "" and cell[0] not in "=+-@\t\r\n"


def test_list_escapes() -> None:
    assert join_list(["a|b", "c\\d", "e | f"]) == "a\\|b | c\\\\d | e \\| f"
    assert split_list("a\\|b | c\\\\d | e \\| f") == (["a|b", "c\\d", "e | f"], None)
    assert split_list("a|b") == (["a", "b"], None)
    assert split_list("a  |  b") == (["a ", " b"], None)
    assert split_list("C:\\dir") == (
        ["C:\\dir"], "\\d is not an escape (write \\\\ for \\ and \\| for |)")
    assert split_list("x\\") == (["x\\"], "a lone \\ at the end of the cell")


@given(st.lists(st.text(), min_size=1))
def test_lists_round_trip(items: list[str]) -> None:
    column = Column(name="alerts", keys=("alerts",), kind="string", is_list=True)
    for dialect in (Dialect(), Dialect.from_options({"dialect": "excel"})):
        assert parse_cell(dialect.cell(items, column), column) == (items, None)


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_round_trip_with_their_type(number: int | float) -> None:
    column = Column(name="value", keys=(), kind="number")
    for dialect in (Dialect(), Dialect.from_options({"dialect": "excel"})):
        value, error = parse_cell(dialect.cell(number, column), column)
        assert (value, type(value), error) == (number, type(number), None)


@pytest.mark.parametrize(("cell", "kind", "expected"), [
    ("3", "integer", (3, None)),
    (" 3 ", "integer", (3, None)),
    ("3.0", "integer", (None, "expected an integer, got '3.0'")),
    ("3,5", "number", (3.5, None)),
    ("'-5", "number", (-5, None)),
    ("1e999", "number", (None, "'1e999' is too large a number")),
    ("trois", "number", (None, "expected a number, got 'trois'")),
    ("VRAI", "boolean", (True, None)),
    ("false", "boolean", (False, None)),
    ("oui", "boolean", (None, "expected true or false, got 'oui'")),
])
def test_parse_scalar_cells(cell: str, kind: str, expected: tuple[object, str | None]) -> None:
    assert parse_cell(cell, Column(name="x", keys=("x",), kind=kind)) == expected


def test_unknown_dialect_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown CSV dialect 'tsv'; use one of rfc4180, excel"):
        export_bundle(_tiny(), "csv", tmp_path / "out", options={"dialect": "tsv"})
    assert list(tmp_path.iterdir()) == []  # the temporary folder is gone too


def test_registered_as_builtin_plugin() -> None:
    manager = make_plugin_manager(entry_points=False)
    assert (manager.exporter("csv").target, manager.exporter("csv-zip").target,
            manager.exporter("csv-zip").suffix) == ("directory", "file", ".zip")
    assert manager.importer("csv").name == "csv"


# --- exported files ------------------------------------------------------------------------


def test_exported_bytes(tmp_path: Path) -> None:
    export_bundle(_tiny(), "csv", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["actors.csv", "bundle.csv"]
    assert (tmp_path / "out" / "bundle.csv").read_bytes() == (
        b"format_version,source.slug,source.name,source.url,source.contact_email,"
        b"generated_at,licence,description\r\n"
        b'1.1.0,lma-ra,"LMA; ""RA""",,,2025-03-14T09:00:00+01:00,etalab-2.0,\r\n')
    assert (tmp_path / "out" / "actors.csv").read_bytes() == (
        b"id,name,actor_type,description,labels,networks,territories,commune,address,siret,"
        b"website,email,phone,visibility,recipients\r\n"
        b"lma-ra:a1,'=SUM(A1),dla_departemental,,,,reg:84 | dep:69,,,,,,,public,\r\n")


def test_excel_dialect_has_a_bom_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    bundle = Bundle(source=SOURCE, generated_at=GENERATED, associations=(
        Association(id="lma-ra:as1", name="Les Amis", fte=2.5, headcount=3),))
    export_bundle(bundle, "csv", tmp_path / "out", audience="all",
                  options={"dialect": "excel"})
    assert (tmp_path / "out" / "bundle.csv").read_bytes() == BOM + (
        b"format_version;source.slug;source.name;source.url;source.contact_email;"
        b"generated_at;licence;description\r\n"
        b'1.1.0;lma-ra;"LMA; ""RA""";;;2025-03-14T09:00:00+01:00;etalab-2.0;\r\n')
    assert (tmp_path / "out" / "associations.csv").read_bytes() == BOM + (
        b"id;name;rna;siren;siret;sector;headcount;fte;size_band;commune;idcc;founded;"
        b"visibility;recipients\r\n"
        b"lma-ra:as1;Les Amis;;;;;3;2,5;;;;;restricted;\r\n")


def test_a_formula_cell_starts_with_a_quote_in_the_file(tmp_path: Path) -> None:
    export_bundle(_tiny(), "csv-zip", tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.namelist() == ["bundle.csv", "actors.csv"]
        rows = list(csv.reader(io.StringIO(archive.read("actors.csv").decode(), newline="")))
    assert rows[1][1] == "'=SUM(A1)"


def test_zip_export_is_reproducible(tmp_path: Path) -> None:
    export_bundle(_tiny(), "csv-zip", tmp_path / "a.zip")
    export_bundle(_tiny(), "csv-zip", tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_nested_tables_are_written_only_when_they_have_rows(tmp_path: Path) -> None:
    bundle = attrs.evolve(_tiny(), meetings=(Meeting(
        id="lma-ra:m1", kind="cofil", title="COFIL", start=GENERATED,
        end=GENERATED + dt.timedelta(hours=3), workshops=(Workshop(title="Paie"),)),))
    export_bundle(bundle, "csv", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "actors.csv", "bundle.csv", "meeting_workshops.csv", "meetings.csv"]
    assert (tmp_path / "out" / "meeting_workshops.csv").read_bytes() == (
        b"meeting_id,title,themes,facilitators,start,end,room\r\nlma-ra:m1,Paie,,,,,\r\n")


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "csv-zip"])
@pytest.mark.parametrize("dialect", ["rfc4180", "excel"])
def test_sample_round_trips(tmp_path: Path, fmt: str, dialect: str) -> None:
    assert _roundtrip(load_sample(), tmp_path, fmt, dialect) == []


@given(bundles(), st.sampled_from(["rfc4180", "excel"]))
def test_any_valid_bundle_round_trips(bundle: Bundle, dialect: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        assert _roundtrip(bundle, Path(folder), "csv", dialect) == []


@given(tricky_bundles(), st.sampled_from(["rfc4180", "excel"]))
def test_tricky_text_round_trips(bundle: Bundle, dialect: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        assert _roundtrip(bundle, Path(folder), "csv", dialect) == []


def test_tricky_text_round_trips_through_zip(tmp_path: Path) -> None:
    value = "=SUM(A1) | '+33\\|;,\r\n\"x\""
    bundle = Bundle(source=Source(slug="lma-ra", name=value), generated_at=GENERATED,
                    description="'", actors=(Actor(
                        id="lma-ra:a1", name="-5", actor_type="cress", address="@x",
                        contacts=(Person(name="\tTab", role=value),)),))
    for dialect in ("rfc4180", "excel"):
        assert _roundtrip(bundle, tmp_path, "csv-zip", dialect) == []


# --- import issues -------------------------------------------------------------------------

BUNDLE_CSV = ("format_version,source.slug,source.name,generated_at\r\n"
              "1.0.0,lma-ra,LMA,2025-03-14T09:00:00+01:00\r\n")
ACTORS_CSV = ("id,name,actor_type,territories\r\n"
              "lma-ra:a1,DLA du Rhône,dla_departemental,dep:69\r\n")


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in {"bundle": BUNDLE_CSV, **files}.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    return folder


def _located(issues: list[Issue]) -> list[tuple[str, str, str | None, int | None, str | None]]:
    return [(i.code, i.path, i.file, i.line, i.column) for i in issues]


def test_a_bad_number_is_reported_at_its_cell(tmp_path: Path) -> None:
    folder = _folder(tmp_path, associations=(
        "id,name,headcount,fte\r\n"
        "lma-ra:as1,Les Amis,3,1.5\r\n"
        "lma-ra:as2,Les Autres,beaucoup,2\r\n"))
    report = import_file("csv", folder)
    assert report.issues == [Issue(
        code="csv:bad-value", path="$.associations[1].headcount", file="associations.csv",
        line=3, column="headcount", message="expected an integer, got 'beaucoup'")]
    assert report.bundle is not None and report.bundle.associations[1].headcount is None


def test_a_bad_theme_is_located_in_the_csv(tmp_path: Path) -> None:
    offers = "id,actor,title,themes\r\n" + "".join(
        f"lma-ra:o{n},lma-ra:a1,Offre {n},{themes}\r\n"
        for n, themes in enumerate(["recrutement"] * 3 + ["paie | recrutement"]))
    report = import_file("csv", _folder(tmp_path, actors=ACTORS_CSV, offers=offers))
    assert _located(report.issues) == [
        ("unknown-code", "$.offers[3].themes[0]", "offers.csv", 5, "themes")]


def test_validation_issues_in_nested_tables_are_located(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, actors=ACTORS_CSV,
        actor_contacts="actor_id,name,email\r\nlma-ra:a1,Ana,ana@x.fr\r\n"
                       "lma-ra:a1,Bob,pas-un-courriel\r\n",
        meetings="id,kind,title,start,end\r\n"
                 "lma-ra:m1,cofil,COFIL,2025-03-14T09:00:00+01:00,2025-03-14T12:00:00+01:00\r\n",
        meeting_speakers="meeting_id,person.name,person.email\r\n"
                         "lma-ra:m1,Ana,ana@@x\r\n",
        meeting_registrations="meeting_id,actor,participants\r\nlma-ra:m1,lma-ra:a1,0\r\n")
    report = import_file("csv", folder)
    assert _located(report.issues) == [
        ("invalid-format", "$.actors[0].contacts[1].email", "actor_contacts.csv", 3, "email"),
        ("out-of-range", "$.meetings[0].registrations[0].participants",
         "meeting_registrations.csv", 2, "participants"),
        ("invalid-format", "$.meetings[0].speakers[0].person.email", "meeting_speakers.csv",
         2, "person.email"),
    ]


def test_answers_keep_their_types(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        associations="id,name\r\nlma-ra:as1,Les Amis\r\n",
        diagnoses="id,association,tool,tool_version,date\r\n"
                  "lma-ra:d1,lma-ra:as1,t,1,2025-01-01\r\n",
        diagnosis_answers="diagnosis_id,question,value,type\r\n"
                          "lma-ra:d1,q1,5,string\r\nlma-ra:d1,q2,5,\r\nlma-ra:d1,q3,,\r\n"
                          "lma-ra:d1,q4,\"2,5\",number\r\nlma-ra:d1,q5,oui,\r\n"
                          "lma-ra:d1,q6,,string\r\nlma-ra:d1,q7,x,texte\r\n")
    report = import_file("csv", folder)
    assert report.issues == [Issue(
        code="csv:bad-value", path="$.diagnoses[0].answers.q7", file="diagnosis_answers.csv",
        line=8, column="type", message="type 'texte' is not one of number, string, null")]
    assert report.bundle is not None
    assert report.bundle.diagnoses[0].answers == {
        "q1": "5", "q2": 5, "q3": None, "q4": 2.5, "q5": "oui", "q6": ""}


def test_every_problem_of_the_tables_is_reported(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        actors="id,name,actor_type,territories,colour\r\n"
               "lma-ra:a1,DLA,dla_departemental,dep:69 | C:\\dir,bleu\r\n"
               "lma-ra:a2,DLA 2,dla_departemental,,,surplus\r\n",
        actor_contacts="actor_id,name\r\nlma-ra:a9,Ana\r\n",
        diagnosis_scores="diagnosis_id,dimension,value\r\nlma-ra:d1,a,3\r\n",
        notes="x\r\n1\r\n")
    report = import_file("csv", folder)
    assert [(i.code, i.severity, i.file, i.line, i.column) for i in report.issues] == [
        # sorted by file, then row: the importer's issues and validation's together
        ("csv:unknown-parent", "error", "actor_contacts.csv", 2, "actor_id"),
        ("csv:unknown-column", "error", "actors.csv", 1, "colour"),
        ("csv:bad-value", "error", "actors.csv", 2, "territories"),
        # the malformed cell is kept as written, so validation explains it too
        ("malformed-territory", "error", "actors.csv", 2, "territories"),
        ("csv:extra-cells", "error", "actors.csv", 3, None),
        ("csv:unknown-parent", "error", "diagnosis_scores.csv", 2, "diagnosis_id"),
        ("csv:unknown-file", "warning", "notes.csv", None, None),
    ]
    assert report.issues[2].message == (
        "malformed list: \\d is not an escape (write \\\\ for \\ and \\| for |)")
    assert report.issues[0].message == "no row of actors.csv has the id 'lma-ra:a9'"


def test_stray_delimiters_and_spaces_in_the_header_are_tolerated(tmp_path: Path) -> None:
    folder = _folder(tmp_path, actors="id ; name;actor_type;\r\nlma-ra:a1;DLA;cress;\r\n")
    report = import_file("csv", folder)
    assert report.issues == []
    assert report.bundle is not None and report.bundle.actors[0].name == "DLA"


@given(st.dictionaries(
    st.sampled_from(["bundle.csv", "offers.csv", "meetings.csv", "meeting_speakers.csv",
                     "diagnoses.csv", "diagnosis_answers.csv", "provenance.csv"]),
    st.one_of(st.binary(max_size=60), st.lists(st.sampled_from(
        ["id", "value", "type", "meeting_id", "diagnosis_id", "question", "lma-ra:m1",
         "format_version", "1.0.0", ",", ";", "\r\n", '"', "'", "\\", " | ", "é", "x"]),
        max_size=30).map(lambda parts: "".join(parts).encode()))))
def test_the_importer_never_raises(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            (Path(folder) / name).write_bytes(data)
        report = import_file("csv", folder)
    assert report.bundle is not None or report.issues != []


def test_missing_bundle_csv(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "actors.csv").write_text(ACTORS_CSV, encoding="utf-8")
    report = import_file("csv", folder)
    assert (report.issues, report.bundle) == ([Issue(
        code="csv:missing-file", file="bundle.csv", message="bundle.csv is missing",
        hint="bundle.csv holds format_version, source and generated_at")], None)


def test_bad_zip(tmp_path: Path) -> None:
    path = tmp_path / "in.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    report = import_file("csv", path)
    assert [(i.code, i.file, i.message) for i in report.issues] == [
        ("csv:bad-zip", str(path), "cannot read the zip: File is not a zip file")]


def test_not_utf8(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "actors.csv").write_bytes(ACTORS_CSV.encode("cp1252"))
    report = import_file("csv", folder)
    assert _located(report.issues) == [("invalid-encoding", "$", "actors.csv", None, None)]
    assert import_file("csv", folder, options={"encoding": "cp1252"}).issues == []


def test_a_zipped_folder_is_read(tmp_path: Path) -> None:
    path = tmp_path / "in.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export/bundle.csv", "\ufeff" + BUNDLE_CSV.replace(",", ";"))
        archive.writestr("export/actors.csv", ACTORS_CSV)
        archive.writestr("__MACOSX/export/._actors.csv", "junk")
    report = import_file("csv", path)
    assert report.issues == []
    assert report.bundle is not None and [a.name for a in report.bundle.actors] == [
        "DLA du Rhône"]


# --- the command line ----------------------------------------------------------------------


def test_cli_export_then_import(tmp_path: Path) -> None:
    bundle = load_sample()
    write_bundle(bundle, tmp_path / "b.json")
    runner = CliRunner()
    exported = runner.invoke(cli, ["export", str(tmp_path / "b.json"), "--to", "csv",
                                   "-o", str(tmp_path / "tables")])
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(cli, ["import", "csv", str(tmp_path / "tables"),
                                   "-o", str(tmp_path / "back.json")])
    assert (imported.exit_code, imported.stdout) == (
        0, f"wrote {tmp_path / 'back.json'}: "
           f"{sum(filter_bundle(bundle, 'public').counts().values())} records\n")
    assert validate_file(tmp_path / "back.json").bundle == filter_bundle(bundle, "public")


def test_cli_import_reports_csv_issues(tmp_path: Path) -> None:
    folder = _folder(tmp_path, actors=ACTORS_CSV.replace("dep:69", "dep:69,x"))
    result = CliRunner().invoke(cli, ["import", "csv", str(folder), "--format", "json",
                                      "-o", str(tmp_path / "back.json")])
    assert result.exit_code == 1
    assert [(i["code"], i["file"], i["line"]) for i in json.loads(result.stdout)] == [
        ("csv:extra-cells", "actors.csv", 2)]
    assert not (tmp_path / "back.json").exists()


def test_a_windows_1252_export_without_the_option_reports_the_encoding_alone(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "tables"
    export_bundle(load_sample(), "csv", folder, audience="public",
                  options={"dialect": "excel"})
    for path in folder.iterdir():  # as Excel's "CSV (point-virgule)" saves them
        text = path.read_bytes().decode("utf-8-sig")
        path.write_bytes(text.encode("cp1252", errors="replace"))
    report = import_file("csv", folder)
    assert report.bundle is None
    assert report.issues and {i.code for i in report.issues} == {"invalid-encoding"}
    assert all("--option encoding=cp1252" in (i.hint or "") for i in report.issues)
    fixed = import_file("csv", folder, options={"encoding": "cp1252"})
    assert fixed.ok and fixed.bundle is not None


# --- French spreadsheet habits (docs/spreadsheets.md) ----------------------------------------

ASSOCIATIONS_HEADER = "id,name,siren,headcount,commune,idcc,founded,visibility\r\n"


def _association_row(**cells: str) -> str:
    values = {"id": "lma-ra:as1", "name": "Les Amis", "siren": "", "headcount": "",
              "commune": "", "idcc": "", "founded": "", "visibility": "network", **cells}
    return ASSOCIATIONS_HEADER + ",".join(
        f'"{v}"' if "," in v else v for v in values.values()) + "\r\n"


def _notes(issues: list[Issue]) -> list[tuple[str, str, str | None, int | None, str | None,
                                                str]]:
    return [(i.code, i.severity, i.file, i.line, i.column, i.path) for i in issues]


def test_what_a_spreadsheet_rewrites_is_read_with_a_note(tmp_path: Path) -> None:
    folder = _folder(tmp_path, associations=_association_row(
        founded="01/09/2025", commune="com:1053", idcc="16", headcount="1 234"),
        actors=ACTORS_CSV.replace("dep:69", "dep:1 | dep:38"))
    report = import_file("csv", folder)
    assert _notes(report.issues) == [
        ("csv:leading-zero", "info", "actors.csv", 2, "territories", "$.actors[0].territories"),
        ("csv:leading-zero", "info", "associations.csv", 2, "commune",
         "$.associations[0].commune"),
        ("csv:french-date", "info", "associations.csv", 2, "founded",
         "$.associations[0].founded"),
        ("csv:digit-grouping", "info", "associations.csv", 2, "headcount",
         "$.associations[0].headcount"),
        ("csv:leading-zero", "info", "associations.csv", 2, "idcc", "$.associations[0].idcc"),
    ]
    assert report.issues[2].message == "read '01/09/2025' as 2025-09-01 (day/month/year)"
    assert report.ok and report.bundle is not None
    association = report.bundle.associations[0]
    assert (association.founded, association.commune, association.idcc,
            association.headcount) == (dt.date(2025, 9, 1), "com:01053", "0016", 1234)
    assert report.bundle.actors[0].territories == ("dep:01", "dep:38")


def test_a_size_band_that_lost_its_zero_is_read_with_a_note(tmp_path: Path) -> None:
    report = import_file("csv", _folder(tmp_path, associations=(
        "id,name,size_band,visibility\r\nlma-ra:as1,Les Amis,1,network\r\n")))
    assert _notes(report.issues) == [("csv:leading-zero", "info", "associations.csv", 2,
                                      "size_band", "$.associations[0].size_band")]
    assert report.issues[0].message == "read the size band '1' as '01' (a leading zero was lost)"
    assert report.bundle is not None and report.bundle.associations[0].size_band == "01"


def test_a_serial_date_is_read_with_a_warning(tmp_path: Path) -> None:
    report = import_file("csv", _folder(tmp_path, associations=_association_row(
        founded="45901")))
    assert _notes(report.issues) == [("csv:serial-date", "warning", "associations.csv", 2,
                                      "founded", "$.associations[0].founded")]
    assert report.bundle is not None
    assert report.bundle.associations[0].founded == dt.date(2025, 9, 1)


def test_a_siren_in_scientific_notation_is_refused(tmp_path: Path) -> None:
    report = import_file("csv", _folder(tmp_path, associations=_association_row(
        siren="5,38237E+08")))
    [issue] = report.issues
    assert (issue.code, issue.severity, issue.file, issue.line, issue.column, issue.path) == (
        "csv:lost-digits", "error", "associations.csv", 2, "siren",
        "$.associations[0].siren")
    assert issue.message == ("the SIREN '5,38237E+08' was shortened by a spreadsheet to a "
                             "number in scientific notation: its last digits are lost")
    assert issue.hint is not None and "format the column as Text" in issue.hint
    assert not report.ok


def test_a_two_digit_year_is_refused(tmp_path: Path) -> None:
    report = import_file("csv", _folder(tmp_path, associations=_association_row(
        founded="01/09/25")))
    assert [(i.code, i.column) for i in report.issues] == [("csv:short-year", "founded")]
    assert not report.ok


def test_an_impossible_french_date_is_left_to_the_schema(tmp_path: Path) -> None:
    report = import_file("csv", _folder(tmp_path, associations=_association_row(
        founded="31/02/2025")))
    assert [(i.code, i.column) for i in report.issues] == [("invalid-date", "founded")]


def test_french_labels_are_accepted_as_headers(tmp_path: Path) -> None:
    folder = _folder(tmp_path, actors=ACTORS_CSV.replace(
        "id,name,actor_type,territories", "Identifiant,Nom,Type d’acteur,territoires"))
    report = import_file("csv", folder)
    assert report.issues == []
    assert report.bundle is not None and report.bundle.actors[0].actor_type == (
        "dla_departemental")


# --- one table alone -------------------------------------------------------------------------


def _full(tmp_path: Path) -> tuple[Bundle, Path]:
    bundle = load_sample()
    write_bundle(bundle, tmp_path / "lot.json")
    export_bundle(bundle, "csv", tmp_path / "tables", audience="all",
                  options={"dialect": "excel"})
    return bundle, tmp_path / "tables"


def _edit_offers(folder: Path, target: Path, edit: Callable[[dict[str, str]], None],
                 drop: tuple[str, ...] = ()) -> None:
    text = (folder / "offers.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    for row in rows:
        edit(row)
    fields = [f for f in rows[0] if f not in drop]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fields, delimiter=";", extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    target.write_bytes(buffer.getvalue().encode("cp1252"))  # as Excel saves it


def test_offers_csv_alone_updates_the_offers_of_a_bundle(tmp_path: Path) -> None:
    bundle, folder = _full(tmp_path)
    first = bundle.offers[0]
    _edit_offers(folder, tmp_path / "offers.csv",
                 _set(first.id, title="Titre modifié", valid_from="01/09/2025"),
                 drop=("description",))
    alone = import_file("csv", tmp_path / "offers.csv", options={"encoding": "cp1252"})
    assert alone.bundle is None
    assert [i.code for i in alone.issues if i.severity == "error"] == ["csv:missing-file"]
    report = import_file("csv", tmp_path / "offers.csv", options={"encoding": "cp1252"},
                         into=bundle)
    assert report.ok and report.tables_only and report.bundle is not None
    assert [(i.code, i.line) for i in report.issues] == [("csv:french-date", 2)]
    offer = report.bundle.offers[0]
    assert (offer.title, offer.valid_from) == ("Titre modifié", dt.date(2025, 9, 1))
    # A column left out of the file keeps its values; nothing else changes.
    assert offer.description == first.description
    assert report.bundle.offers[1:] == bundle.offers[1:]
    assert attrs.evolve(report.bundle, offers=bundle.offers) == bundle


def _set(offer_id: str, **cells: str) -> Callable[[dict[str, str]], None]:
    def edit(row: dict[str, str]) -> None:
        if row["id"] == offer_id:
            row.update(cells)

    return edit


def test_validation_issues_of_a_table_alone_point_into_it(tmp_path: Path) -> None:
    bundle, folder = _full(tmp_path)
    _edit_offers(folder, tmp_path / "offers.csv", _set(bundle.offers[3].id,
                                                       themes="pas_un_theme"))
    report = import_file("csv", tmp_path / "offers.csv", options={"encoding": "cp1252"},
                         into=bundle)
    assert [(i.code, i.file, i.line, i.column) for i in report.issues] == [
        ("unknown-code", "offers.csv", 5, "themes")]


def test_cli_imports_offers_csv_into_the_bundle_given(tmp_path: Path) -> None:
    bundle, folder = _full(tmp_path)
    _edit_offers(folder, tmp_path / "offers.csv", _set(bundle.offers[0].id,
                                                       title="Titre modifié"))
    runner = CliRunner()
    result = runner.invoke(cli, ["import", "csv", str(tmp_path / "offers.csv"), "--option",
                                 "encoding=cp1252", "-o", str(tmp_path / "lot.json")])
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"updated {tmp_path / 'lot.json'} from "
                             f"{tmp_path / 'offers.csv'} [offers: 1 changed]\n")
    after = validate_file(tmp_path / "lot.json").bundle
    assert after is not None and after.offers[0].title == "Titre modifié"
    assert attrs.evolve(after, offers=bundle.offers) == bundle
    # Without a bundle to update, nothing is written, and the message says what to give.
    alone = runner.invoke(cli, ["import", "csv", str(tmp_path / "offers.csv"), "--option",
                                "encoding=cp1252", "-o", str(tmp_path / "new.json")])
    assert alone.exit_code == 1 and not (tmp_path / "new.json").exists()
    assert "update an existing bundle: give that bundle as -o" in alone.stderr


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed")
def test_tables_saved_by_libreoffice_change_nothing(tmp_path: Path) -> None:
    bundle, folder = _full(tmp_path)
    (tmp_path / "edited").mkdir()
    for name in ("offers.csv", "associations.csv"):
        # Opened in LibreOffice Calc set for French (;, UTF-8, types detected) and saved
        # again: the size band 01 becomes 1, the IDCC 0413 becomes 413.
        subprocess.run([str(shutil.which("soffice")),
                        f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                        "--infilter=CSV:59,34,76,1,,1036,false,true",
                        "--convert-to", "csv:Text - txt - csv (StarCalc):59,34,76,1,,1036",
                        "--outdir", str(tmp_path / "edited"), str(folder / name)],
                       check=True, capture_output=True, timeout=300)
    saved = (tmp_path / "edited" / "associations.csv").read_text("utf-8")
    assert ";1;com:38421;" in saved  # the zero really was lost
    report = import_file("csv", tmp_path / "edited", into=bundle)
    assert report.ok and {i.code for i in report.issues} == {"csv:leading-zero"}
    assert report.bundle == bundle
