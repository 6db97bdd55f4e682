"""Options declared by exporters and importers, and their warning channel (issue 13, point 4).

An exporter and an importer declare their options (name, type, help, default): ``pmae
plugins`` lists them, and pmae checks what the user gives before the plugin runs (an unknown
option or a bad value is a usage error, exit 2, listing the options). Both report what they
could not carry with ``context.warn``: pmae shows it once, counted, named after the plugin.
Importers written as ``read(path, options)`` keep working; ``read(path, options, context)``
gets the session and ``warn``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner, Result
from conftest import valid_document

from pmae.cli import cli
from pmae.exchange import export_bundle, import_file
from pmae.model import Bundle
from pmae.plugins import (
    ExchangeWarning,
    ExportContext,
    Exporter,
    ImportContext,
    Importer,
    ImportResult,
    Option,
    OptionError,
    PluginManager,
    hookimpl,
)
from pmae.plugins.context import resolve_options, takes_context
from pmae.sessions import Session
from pmae.testing import RegisterHelper

SEEN: list[Any] = []

OPTIONS = (
    Option(name="limit", type=int, help="at most this many records", default=10),
    Option(name="dialect", help="the flavour", choices=("plain", "fancy"), default="plain"),
    Option(name="strict", type=bool, help="fail on anything odd"),
    Option(name="ratio", type=float, help="a number"),
)


def _export(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    SEEN[:] = [dict(context.options)]
    for record in bundle.offers:
        context.warn("no opening hours in this format", record=record.id)
    context.warn("the logo was left out")
    stream.write(b"exported\n")


def _read_old(path: Path, options: Mapping[str, str]) -> ImportResult:
    SEEN[:] = [dict(options)]
    return ImportResult(document=json.loads(path.read_text(encoding="utf-8")))


def _read_new(path: Path, options: Mapping[str, Any], context: ImportContext) -> ImportResult:
    SEEN[:] = [dict(options), context.session, dict(context.options)]
    for index in range(12):
        context.warn(f"column extra_{index % 2} has no place in a bundle")
    return ImportResult(document=json.loads(path.read_text(encoding="utf-8")))


class Declared:
    @hookimpl
    def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> None:
        register(Exporter(name="declared", title="Declared", export=_export, suffix=".txt",
                          options=OPTIONS))
        register(Exporter(name="bare", title="Takes none", export=_export, suffix=".txt",
                          options=()))
        register(Exporter(name="undeclared", title="Before options", export=_export,
                          suffix=".txt"))

    @hookimpl
    def pmae_register_importers(self, register: Callable[[Importer], None]) -> None:
        register(Importer(name="old-style", title="read(path, options)", read=_read_old))
        register(Importer(name="new-style", title="read(path, options, context)",
                          read=_read_new, options=OPTIONS[:1]))


@pytest.fixture
def session(pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager) -> Session:
    assert pmae_register(Declared).status == "loaded"
    return Session(plugins=pmae_plugin_manager)


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    path = tmp_path / "bundle.json"
    document = valid_document()
    document["offers"][0]["visibility"] = "public"
    document["actors"][1]["visibility"] = "public"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _run(session: Session, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj=session)


def _run_ok(session: Session, *args: str) -> Result:
    result = _run(session, *args)
    assert result.exit_code == 0, result.output
    return result


LISTING = ("its options: limit (int; default 10): at most this many records; dialect (str: "
           "plain, fancy; default 'plain'): the flavour; strict (bool): fail on anything odd; "
           "ratio (float): a number")


@pytest.mark.parametrize(("given", "message"), [
    (["colour=red"], f"unknown option colour for the exporter 'declared'; {LISTING}"),
    (["limit=ten"], f"the exporter 'declared': option limit: 'ten' is not an int; {LISTING}"),
    (["strict=maybe"], "the exporter 'declared': option strict: 'maybe' is not a bool (true or "
                       f"false); {LISTING}"),
    (["dialect=odd"], "the exporter 'declared': option dialect: 'odd' is not one of plain, "
                      f"fancy; {LISTING}"),
])
def test_a_bad_option_is_a_usage_error_listing_the_options(
    session: Session, bundle_file: Path, tmp_path: Path, given: list[str], message: str,
) -> None:
    SEEN.clear()
    args = [a for g in given for a in ("--option", g)]
    result = _run(session, "export", str(bundle_file), "--to", "declared", "-o",
                  str(tmp_path / "out.txt"), *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert SEEN == [] and not (tmp_path / "out.txt").exists()


def test_an_exporter_that_takes_no_option_says_so(session: Session, bundle_file: Path,
                                                  tmp_path: Path) -> None:
    result = _run(session, "export", str(bundle_file), "--to", "bare", "-o",
                  str(tmp_path / "out.txt"), "--option", "x=1")
    assert result.exit_code == 2
    assert "unknown option x for the exporter 'bare'; it takes no option" in result.stderr


def test_declared_options_arrive_converted_with_their_defaults(
    session: Session, bundle_file: Path, tmp_path: Path,
) -> None:
    _run_ok(session, "export", str(bundle_file), "--to", "declared", "-o",
            str(tmp_path / "out.txt"), "--option", "strict=yes", "--option", "ratio=0.5")
    assert SEEN == [{"limit": 10, "dialect": "plain", "strict": True, "ratio": 0.5}]


def test_undeclared_options_pass_unchecked(session: Session, bundle_file: Path,
                                           tmp_path: Path) -> None:
    _run_ok(session, "export", str(bundle_file), "--to", "undeclared", "-o",
            str(tmp_path / "out.txt"), "--option", "anything=goes")
    assert SEEN == [{"anything": "goes"}]


def test_an_exporters_warnings_are_shown_counted_and_named(
    session: Session, bundle_file: Path, tmp_path: Path,
) -> None:
    result = _run_ok(session, "export", str(bundle_file), "--to", "declared", "-o",
                     str(tmp_path / "out.txt"))
    assert result.stderr == (
        "pmae: warning: Declared, exporter 'declared': 2 warnings:\n"
        "  - no opening hours in this format (lma-ra:offre-1)\n"
        "  - the logo was left out\n")


def test_a_library_caller_gets_one_exchange_warning(session: Session, tmp_path: Path) -> None:
    bundle = session.load_bundle(_write(tmp_path))
    with pytest.warns(ExchangeWarning, match=r"^Declared, exporter 'declared': 2 warnings:"):
        export_bundle(bundle, "declared", tmp_path / "out.txt", audience="all",
                      session=session)
    seen: list[str] = []
    export_bundle(bundle, "declared", tmp_path / "out.txt", audience="all", session=session,
                  on_warnings=seen.append)
    assert len(seen) == 1 and seen[0].startswith("Declared, exporter 'declared': 2 warnings")


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "lib.json"
    path.write_text(json.dumps(valid_document()), encoding="utf-8")
    return path


def test_an_importer_of_the_first_form_keeps_working(session: Session, bundle_file: Path,
                                                     tmp_path: Path) -> None:
    _run_ok(session, "import", "old-style", str(bundle_file), "-o",
            str(tmp_path / "out.json"), "--option", "free=form")
    assert SEEN == [{"free": "form"}]


def test_an_importer_with_a_context_gets_the_session_and_warns(
    session: Session, bundle_file: Path, tmp_path: Path,
) -> None:
    result = _run_ok(session, "import", "new-style", str(bundle_file), "-o",
                     str(tmp_path / "out.json"), "--option", "limit=3")
    assert [{"limit": 3}, session, {"limit": 3}] == SEEN
    assert ("pmae: warning: Declared, importer 'new-style': 12 warnings:\n"
            "  - 6× column extra_0 has no place in a bundle\n"
            "  - 6× column extra_1 has no place in a bundle\n") in result.stderr
    result = _run(session, "import", "new-style", str(bundle_file), "-o",
                  str(tmp_path / "out.json"), "--option", "limit=x")
    assert result.exit_code == 2
    with pytest.raises(OptionError, match="unknown option nope for the importer 'new-style'"):
        import_file("new-style", bundle_file, options={"nope": "1"}, session=session)


def test_pmae_plugins_lists_the_options(session: Session) -> None:
    result = _run(session, "plugins")
    assert ("    exporter     declared\n"
            "        --option limit (int; default 10): at most this many records\n"
            "        --option dialect (str: plain, fancy; default 'plain'): the flavour\n"
            ) in result.stdout
    [declared] = [p for p in json.loads(_run(session, "plugins", "--json").stdout)
                  if p["name"] == "Declared"]
    by_name = {item["name"]: item for item in declared["items"]}
    assert by_name["declared"]["options"][0] == {
        "name": "limit", "type": "int", "help": "at most this many records", "default": 10,
        "choices": []}
    assert by_name["bare"]["options"] == []
    assert "options" not in by_name["undeclared"]


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Option(name="Bad", help="x"), "option name 'Bad' must be lower-case"),
    (lambda: Option(name="n", type=list, help="x"), "type must be one of str, int, float, bool"),
    (lambda: Option(name="n", help=""), "option 'n' needs a help text"),
    (lambda: Option(name="n", type=int, help="x", choices=("a",)), "choices are for str"),
    (lambda: Option(name="n", type=int, help="x", default="ten"), "bad default"),
    (lambda: Exporter(name="e", title="E", export=_export, options=(OPTIONS[0], OPTIONS[0])),
     "an option is declared twice"),
])
def test_options_check_themselves(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_resolve_options_accepts_values_already_typed() -> None:
    assert resolve_options(OPTIONS, {"limit": 3, "strict": False}, what="x") == {
        "limit": 3, "dialect": "plain", "strict": False}
    with pytest.raises(OptionError, match="True is not an int"):
        resolve_options(OPTIONS, {"limit": True}, what="x")


def test_takes_context_reads_the_signature() -> None:
    def two(path: Path, options: Mapping[str, str]) -> None: ...
    def three(path: Path, options: Mapping[str, str], context: ImportContext) -> None: ...
    def star(*args: Any) -> None: ...

    assert [takes_context(f) for f in (two, three, star, len)] == [False, True, True, False]
