"""Export and import through the registered formats, with the core's guarantees.

Whatever the plugin: the audience filter runs before the exporter sees the bundle, output is
written atomically (a file or a whole folder), and what an importer reads is validated like any
bundle, with issues pointing back into the imported file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, cast

import attrs

from pmae.i18n import gettext as _
from pmae.io.audience import filter_bundle
from pmae.io.bundles import bundle_to_data
from pmae.io.files import atomic_folder, atomic_writer
from pmae.io.leaks import Secrets, leaks_in_files, secrets_of
from pmae.io.pipeline import Report
from pmae.issues import sort_issues
from pmae.jsonpath import json_path, parse_path
from pmae.model import Bundle
from pmae.plugins.calls import PluginFailure, issue_refusal, owner, plugin_call, refuse_result
from pmae.plugins.context import ImportContext, report_notes, resolve_options, takes_context
from pmae.plugins.items import ExportContext, Exporter, ExportError, Importer, ImportResult
from pmae.sessions import Session
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.plugins.manager import PluginManager
    from pmae.plugins.types import DirectoryExport, FileExport


def _session(session: Session | None, manager: PluginManager | None) -> Session:
    # ``manager=`` came first and stays for callers that hold a plugin manager.
    if session is None and manager is not None:
        return Session(plugins=manager)
    return current_session(session)


def export_bundle(
    bundle: Bundle,
    fmt: str,
    output: str | os.PathLike[str],
    *,
    audience: str = "public",
    options: Mapping[str, object] | None = None,
    manager: PluginManager | None = None,
    lang: str | None = None,
    overwrite: bool = False,
    session: Session | None = None,
    on_warnings: Callable[[str], None] | None = None,
) -> Bundle:
    """Export ``bundle`` for ``audience`` with the exporter ``fmt``, atomically.

    A file is replaced as a whole. A folder export goes to a new folder; an existing non-empty
    folder is replaced only with ``overwrite=True`` (it may hold files that are not pmae's).

    :param session: the exporters, vocabularies and territories (default: :func:`pmae.session`;
        ``manager=`` wraps a plugin manager in one).
    :param lang: the language of labels (default: the session's).
    :param options: checked against the options the exporter declares (strings are converted
        to their declared type) before it runs.
    :param on_warnings: receives the summary of what the exporter reported it could not carry
        (``context.warn``), once, after it ran; by default it is an
        :class:`~pmae.plugins.context.ExchangeWarning`.
    :returns: the filtered bundle the exporter was given.
    :raises KeyError: no exporter of that name; :class:`~pmae.plugins.AmbiguousNameError`.
    :raises ~pmae.plugins.context.OptionError: an option it does not declare, or a bad value.
    :raises ExportError: the exporter refused, or wrote nothing (the previous output stays).
    :raises ~pmae.plugins.calls.PluginFailure: the exporter failed otherwise (any exception,
        ``sys.exit()``): the message names its plugin and version; the previous output stays.
    """
    s = _session(session, manager)
    exporter = s.exporter(fmt)
    resolved = resolve_options(exporter.options, options or {},
                               what=_("the exporter {name!r}").format(name=exporter.name))
    visible = filter_bundle(bundle, audience)
    # Read-only views: an exporter cannot change the session's vocabularies for what follows.
    context = ExportContext(audience=audience, options=MappingProxyType(resolved),
                            vocabularies=MappingProxyType(dict(s.vocabularies)),
                            territories=s.territories, lang=lang or s.lang)
    check_written = _leak_check(s, exporter, audience,
                                secrets_of(bundle, visible) if audience != "all" else None)
    target = Path(output)
    # An exporter that writes nothing has failed somehow: the previous output stays (the
    # atomic writers keep it when an exception leaves them) rather than an empty one.
    nothing = ExportError(_("the exporter {name!r} wrote nothing; {target} was left as it "
                            "was").format(name=fmt, target=target))
    guarded = functools.partial(plugin_call, s.plugins, exporter, "exporter",
                                passing=(ExportError,), outcome="nothing was written")
    if exporter.target == "file":
        with atomic_writer(target) as stream:
            with guarded():
                cast("FileExport", exporter.export)(visible, stream, context)
            if stream.tell() == 0:
                raise nothing
            stream.flush()
            with open(os.dup(stream.fileno()), "rb") as written:
                check_written([written])
    else:
        if target.is_dir() and any(target.iterdir()) and not overwrite:
            raise FileExistsError(
                f"{target} is a folder that is not empty; choose another path or allow "
                "overwriting (pmae export --force)")

        def fill(folder: Path) -> None:
            with guarded():
                cast("DirectoryExport", exporter.export)(visible, folder, context)
            if not any(folder.iterdir()):
                raise nothing
            check_written(sorted(p for p in folder.rglob("*") if p.is_file()))

        atomic_folder(target, fill)
    report_notes(context.notes, f"{_who(s, exporter)}, exporter {exporter.name!r}", on_warnings)
    return visible


def _who(s: Session, item: Exporter | Importer) -> str:
    return owner(s.plugins, item) or "a plugin"


def _leak_check(s: Session, exporter: Exporter, audience: str,
                secrets: Secrets | None) -> Callable[[Iterable[Path | IO[bytes]]], None]:
    """What checks an exporter's output after it ran: it holds none of ``secrets`` (ids the
    audience filter hid, addresses it removed), else the export fails, naming the plugin."""

    def check(files: Iterable[Path | IO[bytes]]) -> None:
        leaked = sorted(leaks_in_files(files, secrets)) if secrets else []
        if leaked:
            more = f" and {len(leaked) - 3} more" if len(leaked) > 3 else ""
            raise PluginFailure(
                plugin=owner(s.plugins, exporter), kind="exporter", item=exporter.name,
                problem=f"it wrote {len(leaked)} record id(s) or e-mail address(es) the "
                        f"audience {audience!r} may not see ({', '.join(leaked[:3])}{more})",
                outcome="nothing was written")

    return check


@attrs.define(kw_only=True)
class ImportReport(Report):
    """What :func:`import_file` found; ``tables_only`` when the source held some tables alone
    (``offers.csv``) and ``bundle`` is the bundle given as ``into`` with them updated."""

    tables_only: bool = False


Located = tuple[str | None, int | None, str | None] | None


def import_file(
    fmt: str,
    path: str | os.PathLike[str],
    *,
    options: Mapping[str, object] | None = None,
    manager: PluginManager | None = None,
    session: Session | None = None,
    into: Bundle | Callable[[], Bundle | None] | None = None,
    on_warnings: Callable[[str], None] | None = None,
) -> ImportReport:
    """Read ``path`` with the importer ``fmt`` and validate the result like any bundle.

    A source that holds some tables of a bundle without its envelope (``offers.csv`` alone,
    an ``.xlsx`` with an ``offers`` sheet only) cannot make a bundle by itself: it updates
    ``into``. Its records replace those of ``into`` with the same id (the fields its columns
    and nested tables give; the others are kept), new ids are added, and nothing is removed.
    Without ``into``, such a source is an error.

    :param session: the importers, vocabularies, territories and checks (default:
        :func:`pmae.session`; ``manager=`` wraps a plugin manager in one).
    :param into: the bundle that tables read alone update, or a function that gives it (or
        None), called only then.
    :param options: checked against the options the importer declares, before it runs.
    :param on_warnings: receives the summary of what the importer reported it could not carry
        (``context.warn``); by default it is an :class:`~pmae.plugins.context.ExchangeWarning`.
    :raises ~pmae.plugins.context.OptionError: an option it does not declare, or a bad value.
    """
    s = _session(session, manager)
    importer = s.importer(fmt)
    resolved = resolve_options(importer.options, options or {},
                               what=_("the importer {name!r}").format(name=importer.name))
    guarded = functools.partial(plugin_call, s.plugins, importer, "importer",
                                outcome="nothing was imported")
    context = ImportContext(session=s, options=MappingProxyType(resolved))
    read: Callable[..., object] = importer.read
    with guarded():
        # Importers written before the context take (path, options): they keep working.
        if takes_context(read):
            returned = read(Path(path), context.options, context)
        else:
            returned = read(Path(path), dict(resolved))
    result = _checked_import_result(s, importer, returned)
    report_notes(context.notes, f"{_who(s, importer)}, importer {importer.name!r}",
                 on_warnings)
    file = os.fspath(path)
    if result.document is None:
        return ImportReport(file=file, issues=list(result.issues), bundle=None)
    document, locate = result.document, result.locate
    if result.partial is not None:
        base = into() if callable(into) else into
        if base is None:
            return ImportReport(file=file, issues=[result.partial, *result.issues],
                                bundle=None)
        document, moved = merge_tables(bundle_to_data(base), document, result.fields)
        locate = _moved_locate(result.locate, moved)
    report = s.validate_document(document, file=file)
    issues = list(result.issues)
    for issue in report.issues:
        with guarded():  # the importer's locate is its code too
            where = locate(issue.path) if locate else None
        if where is not None:
            located_file, line, column = where
            issue = attrs.evolve(issue, file=located_file or issue.file,
                                 line=line if line is not None else issue.line,
                                 column=column if column is not None else issue.column)
        issues.append(issue)
    return ImportReport(file=file, issues=sort_issues(issues), bundle=report.bundle,
                        tables_only=result.partial is not None)


def merge_tables(base: Mapping[str, Any], tables: Mapping[str, Any],
                 fields: Mapping[str, frozenset[str]]) -> tuple[dict[str, Any],
                                                                dict[tuple[str, int], int]]:
    """The bundle document ``base`` with the records of ``tables`` (collection -> records, as
    an importer read them) merged in by id.

    A record whose id is in ``base`` keeps its fields that ``fields[collection]`` does not
    name and takes the others from ``tables`` (a field named there but absent from the record
    is removed: its cell was emptied); a new id is added at the end. Nothing is removed.

    :returns: the merged document, and where each record of ``tables`` went:
        ``(collection, index in the result) -> index in tables``.
    """
    merged = dict(base)
    moved: dict[tuple[str, int], int] = {}
    for collection, records in tables.items():
        covered = fields.get(collection, frozenset())
        result = list(base.get(collection, []))
        positions = {record.get("id"): index for index, record in enumerate(result)}
        for index, record in enumerate(records):
            position = positions.get(record.get("id"))
            if position is None:
                position = positions[record.get("id")] = len(result)
                result.append(record)
            else:
                kept = {k: v for k, v in result[position].items() if k not in covered}
                result[position] = {**kept, **record}
            moved[(collection, position)] = index
        merged[collection] = result
    return merged, moved


def _moved_locate(locate: Callable[[str], Located] | None,
                  moved: Mapping[tuple[str, int], int]) -> Callable[[str], Located]:
    """``locate`` for paths of the merged document: records that came from the source are
    found at their place in it; other records were not in the source."""
    def where(path: str) -> Located:
        tokens = parse_path(path)
        if locate is None or tokens is None or len(tokens) < 2:
            return None
        collection, index = tokens[0], tokens[1]
        if not isinstance(collection, str) or not isinstance(index, int):
            return None
        source = moved.get((collection, index))
        if source is None:
            return None
        return locate(json_path([collection, source, *tokens[2:]]))

    return where


def _checked_import_result(s: Session, importer: object, result: object) -> ImportResult:
    """An importer's result, an :class:`ImportResult` whose issues are issues: else the
    importer failed (a :class:`~pmae.plugins.calls.PluginResultError` naming its plugin)."""
    problem: str | None = (
        f"it returned a {type(result).__name__}, not a pmae.plugins.ImportResult"
        if not isinstance(result, ImportResult)
        else next(filter(None, map(issue_refusal, result.issues)), None))
    if problem is not None or not isinstance(result, ImportResult):
        raise refuse_result(s.plugins, importer, "importer", str(problem),
                            outcome="nothing was imported")
    return result
