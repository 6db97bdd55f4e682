"""The built-in XLSX exporter and importer (``xlsx``; docs/spreadsheets.md).

Workbooks are opened with openpyxl, as a spreadsheet would, to check what a person sees (sheets,
French headers, frozen rows, drop-down lists) and edited the way Excel edits (typed dates,
numbers where text was, ``dep:1``) before being imported back.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from strategies import bundles
from test_csv import GENERATED, SOURCE, tricky_bundles

from pmae.cli import cli
from pmae.default_plugins.csv_tables.labels import column_label, table_name
from pmae.default_plugins.csv_tables.layout import layout
from pmae.default_plugins.xlsx_tables.export import NOT_IN_XML
from pmae.exchange import export_bundle, import_file
from pmae.io.bundles import dumps_bundle, write_bundle
from pmae.io.pipeline import validate_file
from pmae.issues import Issue
from pmae.model import Actor, Association, Bundle, Offer
from pmae.plugins.items import ExportError
from pmae.sample import load_sample


def _writable(bundle: Bundle) -> bool:
    # U+FFFE and U+FFFF are valid in a bundle but not in XML (see test_not_in_xml_is_refused).
    return not NOT_IN_XML.search(dumps_bundle(bundle).decode("utf-8"))


def _roundtrip(bundle: Bundle, folder: Path) -> list[Issue]:
    output = folder / "tableaux.xlsx"
    export_bundle(bundle, "xlsx", output, audience="all")
    report = import_file("xlsx", output)
    assert report.bundle == bundle, [i.render() for i in report.issues]
    return report.issues


def _tiny() -> Bundle:
    return Bundle(
        source=SOURCE, generated_at=GENERATED,
        actors=(Actor(id="lma-ra:a1", name="=SUM(A1)", actor_type="dla_departemental",
                      territories=("reg:84", "dep:01")),),
        associations=(Association(id="lma-ra:as1", name="Les Amis", siren="775672272",
                                  idcc="0016", visibility="network"),),
        offers=(Offer(id="lma-ra:o1", actor="lma-ra:a1", title="Appui RH",
                      themes=("recrutement",), territories=("dep:01",),
                      valid_from=dt.date(2025, 1, 1)),),
    )


def _export(bundle: Bundle, path: Path) -> openpyxl.Workbook:
    export_bundle(bundle, "xlsx", path, audience="all")
    return openpyxl.load_workbook(path)


# --- the round trip --------------------------------------------------------------------------


def test_sample_round_trips(tmp_path: Path) -> None:
    assert _roundtrip(load_sample(), tmp_path) == []


# A workbook takes ~0.3 s to write and read: fewer examples than the CSV tables' round trips.
@settings(max_examples=30, deadline=None)
@given(bundles())
def test_any_valid_bundle_round_trips(bundle: Bundle) -> None:
    assume(_writable(bundle))
    with tempfile.TemporaryDirectory() as folder:
        assert _roundtrip(bundle, Path(folder)) == []


@settings(max_examples=30, deadline=None)
@given(tricky_bundles())
def test_tricky_text_round_trips(bundle: Bundle) -> None:
    assume(_writable(bundle))
    with tempfile.TemporaryDirectory() as folder:
        assert _roundtrip(bundle, Path(folder)) == []


def test_same_bundle_same_workbook(tmp_path: Path) -> None:
    export_bundle(_tiny(), "xlsx", tmp_path / "a.xlsx", audience="all")
    export_bundle(_tiny(), "xlsx", tmp_path / "b.xlsx", audience="all")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


# --- what a person sees ----------------------------------------------------------------------


def test_one_sheet_per_table_a_readme_first_and_hidden_lists(tmp_path: Path) -> None:
    book = _export(_tiny(), tmp_path / "t.xlsx")
    assert book.sheetnames == ["Lisez-moi", *(table_name(t) for t in layout()), "listes"]
    assert [s.title for s in book.worksheets if s.sheet_state != "visible"] == ["listes"]
    readme = [str(c) for row in book["Lisez-moi"].iter_rows(values_only=True) for c in row if c]
    assert "Contenu (audience « all ») : tout le lot." in readme
    # Every sheet and every column is explained, by label and technical name.
    for table in layout():
        assert table_name(table) in readme
        for name in table.header():
            assert name in readme and column_label(table, name)[0] in readme


def test_headers_are_french_and_frozen(tmp_path: Path) -> None:
    book = _export(_tiny(), tmp_path / "t.xlsx")
    offers = book["offers"]
    assert [c.value for c in offers[1]][:5] == [
        "Identifiant", "Acteur", "Titre", "Description", "Thèmes"]
    for table in layout():
        assert book[table_name(table)].freeze_panes == "A2"


def test_drop_down_lists_point_into_the_lists_sheet(tmp_path: Path) -> None:
    book = _export(_tiny(), tmp_path / "t.xlsx")
    lists = book["listes"]
    offers = book["offers"]
    header = [c.value for c in offers[1]]
    checks = {str(v.sqref): v for v in offers.data_validations.dataValidation}

    def listed(label: str) -> tuple[list[Any], Any]:
        letter = openpyxl.utils.get_column_letter(header.index(label) + 1)
        check = checks[f"{letter}2:{letter}10000"]
        reference = check.formula1.split("!")[1].replace("$", "")
        assert check.formula1.startswith("listes!")
        return [c.value for row in lists[reference] for c in row], check

    themes, check = listed("Thèmes")
    assert "recrutement" in themes and not check.showErrorMessage  # a list: "a | b" allowed
    territories, _ = listed("Territoires")
    assert {"fr", "reg:84", "dep:01", "dep:2A", "dep:974"} <= set(territories)
    _, check = listed("Coût")
    assert check.errorStyle == "stop" and check.showErrorMessage  # closed, single value
    visibility, _ = listed("Visibilité")
    assert visibility == ["public", "network", "restricted", "private"]
    # An offer's actor is picked among the ids of the actors sheet, rows added there included.
    actor = checks["B2:B10000"]
    assert (actor.formula1, actor.errorStyle) == ("actors!$A$2:$A$10000", "warning")


def test_text_is_text_dates_are_dates(tmp_path: Path) -> None:
    book = _export(_tiny(), tmp_path / "t.xlsx")
    actor = book["actors"]["B2"]
    assert (actor.value, actor.data_type) == ("=SUM(A1)", "s")  # never a formula
    associations = book["associations"]
    header = [c.value for c in associations[1]]
    siren = associations.cell(row=2, column=header.index("SIREN") + 1)
    assert (siren.value, siren.data_type) == ("775672272", "s")
    letter = openpyxl.utils.get_column_letter(header.index("SIREN") + 1)
    assert associations.column_dimensions[letter].number_format == "@"
    offers = book["offers"]
    start = offers.cell(row=2, column=[c.value for c in offers[1]].index("Valable du") + 1)
    assert (start.value, start.number_format) == (dt.datetime(2025, 1, 1), "DD/MM/YYYY")


def test_not_in_xml_is_refused(tmp_path: Path) -> None:
    bundle = attrs.evolve(_tiny(), description="a\uffff")
    with pytest.raises(ExportError, match=r"a value of bundle \(row 2, column description\) "
                                          r"holds the character U\+FFFF"):
        export_bundle(bundle, "xlsx", tmp_path / "t.xlsx", audience="all")
    assert not (tmp_path / "t.xlsx").exists()


def test_a_sheet_past_a_spreadsheets_rows_is_refused(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from pmae.default_plugins.xlsx_tables import export

    monkeypatch.setattr(export, "MAX_ROWS", 2)
    actors = len(load_sample().actors) + 1
    with pytest.raises(ExportError, match=f"the sheet actors would have {actors} rows; a "
                                          "spreadsheet holds 2: export to csv"):
        export_bundle(load_sample(), "xlsx", tmp_path / "t.xlsx", audience="all")


def test_an_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown XLSX option dialect"):
        export_bundle(_tiny(), "xlsx", tmp_path / "t.xlsx", options={"dialect": "excel"})


# --- edited as Excel edits -------------------------------------------------------------------


def _edit(path: Path, sheet: str, label: str, value: Any, row: int = 2) -> None:
    book = openpyxl.load_workbook(path)
    header = [c.value for c in book[sheet][1]]
    book[sheet].cell(row=row, column=header.index(label) + 1, value=value)
    book.save(path)


def _notes(issues: list[Issue]) -> list[tuple[str, str, str | None, int | None, str | None]]:
    return [(i.code, i.severity, i.file, i.line, i.column) for i in issues]


def test_excel_edits_are_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    export_bundle(_tiny(), "xlsx", path, audience="all")
    _edit(path, "associations", "SIREN", 775672272)            # a number where text was
    _edit(path, "associations", "IDCC", 16)                    # its zero lost
    _edit(path, "associations", "Date de création", 45901)     # the date format lost
    _edit(path, "offers", "Territoires", "dep:1")              # typed again
    _edit(path, "offers", "Valable jusqu'au", "31/12/2025")    # typed as text
    _edit(path, "actors", "Nom", "DLA de l'Ain")
    report = import_file("xlsx", path)
    assert _notes(report.issues) == [
        # by sheet, row, then JSON path: founded, idcc, siren
        ("xlsx:serial-date", "warning", "t.xlsx[associations]", 2, "Date de création (L)"),
        ("xlsx:leading-zero", "info", "t.xlsx[associations]", 2, "IDCC (K)"),
        ("xlsx:number-as-text", "info", "t.xlsx[associations]", 2, "SIREN (D)"),
        ("xlsx:leading-zero", "info", "t.xlsx[offers]", 2, "Territoires (G)"),
        ("xlsx:french-date", "info", "t.xlsx[offers]", 2, "Valable jusqu'au (N)"),
    ]
    assert report.ok and report.bundle is not None
    association = report.bundle.associations[0]
    assert (association.siren, association.idcc, association.founded) == (
        "775672272", "0016", dt.date(2025, 9, 1))
    offer = report.bundle.offers[0]
    assert (offer.territories, offer.valid_until) == (("dep:01",), dt.date(2025, 12, 31))
    assert report.bundle.actors[0].name == "DLA de l'Ain"


def test_a_siren_in_scientific_notation_is_refused_at_its_cell(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    export_bundle(_tiny(), "xlsx", path, audience="all")
    _edit(path, "associations", "SIREN", "7,75672E+08")
    report = import_file("xlsx", path)
    assert report.bundle is None or not report.ok
    [issue] = [i for i in report.issues if i.severity == "error"]
    assert (issue.code, issue.file, issue.line, issue.column, issue.path) == (
        "xlsx:lost-digits", "t.xlsx[associations]", 2, "SIREN (D)", "$.associations[0].siren")
    assert "last digits are lost" in issue.message
    assert issue.hint is not None and "format the column as Text" in issue.hint


def test_a_date_and_time_cell_without_zone_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    export_bundle(_tiny(), "xlsx", path, audience="all")
    _edit(path, "bundle", "Date de production", dt.datetime(2025, 9, 1, 14, 30))
    report = import_file("xlsx", path)
    assert ("xlsx:bad-date", 2, "Date de production (F)", "$.generated_at") in [
        (i.code, i.line, i.column, i.path) for i in report.issues if i.severity == "error"]
    assert report.bundle is None


def test_technical_headers_are_accepted_too(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = _export(_tiny(), path)
    for table in layout():
        sheet = book[table_name(table)]
        for cell, name in zip(sheet[1], table.header(), strict=True):
            cell.value = name
    book.save(path)
    report = import_file("xlsx", path)
    assert (report.issues, report.bundle) == ([], _tiny())


def test_an_unknown_sheet_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = _export(_tiny(), path)
    book.create_sheet("Feuil1")
    book.save(path)
    report = import_file("xlsx", path)
    assert [(i.code, i.severity) for i in report.issues] == [("xlsx:unknown-sheet", "warning")]
    assert report.bundle == _tiny()


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"not a workbook")
    report = import_file("xlsx", path)
    assert [(i.code, i.file) for i in report.issues] == [("xlsx:bad-workbook", str(path))]
    assert report.issues[0].hint is not None and ".xls and .ods" in report.issues[0].hint


# --- one sheet alone -------------------------------------------------------------------------


def _offers_only(tmp_path: Path, bundle: Bundle) -> Path:
    path = tmp_path / "offres.xlsx"
    book = _export(bundle, path)
    for name in book.sheetnames:
        if name not in ("offers", "Lisez-moi"):
            del book[name]
    book.save(path)
    return path


def test_an_offers_sheet_alone_updates_the_offers(tmp_path: Path) -> None:
    path = _offers_only(tmp_path, _tiny())
    _edit(path, "offers", "Titre", "Appui RH renforcé")
    _edit(path, "offers", "Identifiant", "lma-ra:o2", row=3)
    _edit(path, "offers", "Acteur", "lma-ra:a1", row=3)
    _edit(path, "offers", "Titre", "Nouvelle offre", row=3)
    alone = import_file("xlsx", path)
    assert [(i.code, i.message) for i in alone.issues] == [
        ("xlsx:missing-file", "offres.xlsx[bundle] is missing")]
    report = import_file("xlsx", path, into=_tiny())
    assert report.ok and report.tables_only and report.bundle is not None
    assert [o.title for o in report.bundle.offers] == ["Appui RH renforcé", "Nouvelle offre"]
    assert report.bundle.actors == _tiny().actors  # the other tables as they were


def test_cli_imports_an_offers_sheet_into_a_bundle(tmp_path: Path) -> None:
    write_bundle(_tiny(), tmp_path / "lot.json")
    path = _offers_only(tmp_path, _tiny())
    _edit(path, "offers", "Titre", "Appui RH renforcé")
    result = CliRunner().invoke(cli, ["import", "xlsx", str(path),
                                      "-o", str(tmp_path / "lot.json")])
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"updated {tmp_path / 'lot.json'} from {path} "
                             "[offers: 1 changed]\n")
    bundle = validate_file(tmp_path / "lot.json").bundle
    assert bundle is not None and bundle.offers[0].title == "Appui RH renforcé"
    assert bundle.associations == _tiny().associations


def test_cli_export_import_round_trip(tmp_path: Path) -> None:
    write_bundle(load_sample(), tmp_path / "s.json")
    runner = CliRunner()
    exported = runner.invoke(cli, ["export", str(tmp_path / "s.json"), "--to", "xlsx",
                                   "--audience", "all", "-o", str(tmp_path / "t.xlsx")])
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(cli, ["import", "xlsx", str(tmp_path / "t.xlsx"),
                                   "-o", str(tmp_path / "back.json")])
    assert imported.exit_code == 0, imported.output
    assert validate_file(tmp_path / "back.json").bundle == load_sample()


# --- the labels ------------------------------------------------------------------------------


def test_every_column_has_a_french_label_unique_in_its_table() -> None:
    from pmae.default_plugins.csv_tables.labels import header_key

    for table in layout():
        keys = [header_key(column_label(table, name)[0]) for name in table.header()]
        names = [header_key(name) for name in table.header()]
        assert len(set(keys)) == len(keys), table.file
        # A label is never another column's technical name.
        assert not (set(keys) & set(names)) - {n for n in names if keys[names.index(n)] == n}


def test_the_guide_lists_every_label() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "spreadsheets.md").read_text("utf-8")
    for table in layout():
        row = next(line for line in guide.splitlines()
                   if line.startswith(f"| `{table_name(table)}` |"))
        for name in table.header():
            assert f"{column_label(table, name)[0]} — `{name}`" in row, (table.file, name)


# --- a real spreadsheet ----------------------------------------------------------------------

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_workbook_saved_by_libreoffice_round_trips(tmp_path: Path) -> None:
    assert SOFFICE is not None
    export_bundle(load_sample(), "xlsx", tmp_path / "in.xlsx", audience="all")
    # Opened and saved again by LibreOffice Calc, in a profile of its own.
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--calc", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir",
                    str(tmp_path / "out"), str(tmp_path / "in.xlsx")],
                   check=True, capture_output=True, timeout=300)
    saved = tmp_path / "out" / "in.xlsx"
    assert saved.read_bytes() != (tmp_path / "in.xlsx").read_bytes()
    report = import_file("xlsx", saved)
    assert (report.issues, report.bundle) == ([], load_sample())
