"""Export and import through the registered formats, with the core's guarantees.

Whatever the plugin: the audience filter runs before the exporter sees the bundle, output is
written atomically (a file or a whole folder), and what an importer reads is validated like any
bundle, with issues pointing back into the imported file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

import attrs

from pmae.io.audience import filter_bundle
from pmae.io.files import atomic_folder, atomic_writer
from pmae.io.pipeline import Report
from pmae.issues import sort_issues
from pmae.model import Bundle
from pmae.plugins.items import ExportContext, ExportError
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
    options: Mapping[str, str] | None = None,
    manager: PluginManager | None = None,
    lang: str | None = None,
    overwrite: bool = False,
    session: Session | None = None,
) -> Bundle:
    """Export ``bundle`` for ``audience`` with the exporter ``fmt``, atomically.

    A file is replaced as a whole. A folder export goes to a new folder; an existing non-empty
    folder is replaced only with ``overwrite=True`` (it may hold files that are not pmae's).

    :param session: the exporters, vocabularies and territories (default: :func:`pmae.session`;
        ``manager=`` wraps a plugin manager in one).
    :param lang: the language of labels (default: the session's).
    :returns: the filtered bundle the exporter was given.
    :raises KeyError: no exporter of that name; :class:`~pmae.plugins.AmbiguousNameError`.
    :raises ExportError: the exporter refused, or wrote nothing (the previous output stays).
    """
    s = _session(session, manager)
    exporter = s.exporter(fmt)
    visible = filter_bundle(bundle, audience)
    context = ExportContext(audience=audience, options=dict(options or {}),
                            vocabularies=s.vocabularies, territories=s.territories,
                            lang=lang or s.lang)
    target = Path(output)
    # An exporter that writes nothing has failed somehow: the previous output stays (the
    # atomic writers keep it when an exception leaves them) rather than an empty one.
    nothing = ExportError(f"the exporter {fmt!r} wrote nothing; {target} was left as it was")
    if exporter.target == "file":
        with atomic_writer(target) as stream:
            cast("FileExport", exporter.export)(visible, stream, context)
            if stream.tell() == 0:
                raise nothing
    else:
        if target.is_dir() and any(target.iterdir()) and not overwrite:
            raise FileExistsError(
                f"{target} is a folder that is not empty; choose another path or allow "
                "overwriting (pmae export --force)")

        def fill(folder: Path) -> None:
            cast("DirectoryExport", exporter.export)(visible, folder, context)
            if not any(folder.iterdir()):
                raise nothing

        atomic_folder(target, fill)
    return visible


def import_file(
    fmt: str,
    path: str | os.PathLike[str],
    *,
    options: Mapping[str, str] | None = None,
    manager: PluginManager | None = None,
    session: Session | None = None,
) -> Report:
    """Read ``path`` with the importer ``fmt`` and validate the result like any bundle.

    :param session: the importers, vocabularies, territories and checks (default:
        :func:`pmae.session`; ``manager=`` wraps a plugin manager in one).
    """
    s = _session(session, manager)
    importer = s.importer(fmt)
    result = importer.read(Path(path), dict(options or {}))
    file = os.fspath(path)
    if result.document is None:
        return Report(file=file, issues=list(result.issues), bundle=None)
    report = s.validate_document(result.document, file=file)
    issues = list(result.issues)
    for issue in report.issues:
        where = result.locate(issue.path) if result.locate else None
        if where is not None:
            located_file, line, column = where
            issue = attrs.evolve(issue, file=located_file or issue.file,
                                 line=line if line is not None else issue.line,
                                 column=column if column is not None else issue.column)
        issues.append(issue)
    return Report(file=file, issues=sort_issues(issues), bundle=report.bundle)
