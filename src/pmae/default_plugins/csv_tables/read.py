"""Import: CSV tables (a folder, a zip, or one table alone) back into a bundle document,
every issue located at its file, row and column.

The files are decoded here (encoding, byte order mark, ``,`` or ``;``); the document is built
by :mod:`.document`, which the XLSX importer shares.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs

from pmae.default_plugins.csv_tables.document import Rows, TableReader, build_document
from pmae.default_plugins.csv_tables.layout import layout
from pmae.i18n import gettext as _
from pmae.io.csv_reader import read_rows
from pmae.plugins.items import ImportResult


@attrs.define(kw_only=True)
class _CsvReader(TableReader):
    """A :class:`TableReader` that decodes CSV files."""

    encoding: str = "utf-8"

    def rows(self, file: str, data: bytes) -> Rows | None:
        """Decode one file (BOM dropped, delimiter detected) into rows of cells."""
        rows, issues = read_rows(data, file=file, encoding=self.encoding, encoding_hint=_(
            "save the file as CSV UTF-8, or import with --option encoding=cp1252"))
        self.issues.extend(issues)
        return rows


def _load_files(path: Path, reader: _CsvReader) -> dict[str, bytes] | None:
    """The CSV files of a folder or a zip, by name (relative to the folder or archive)."""
    if path.is_dir():
        try:
            return {p.name: p.read_bytes() for p in sorted(path.iterdir())
                    if p.is_file() and p.name.lower().endswith(".csv")}
        except OSError as error:
            reader.issue("file-not-found", _("cannot read the folder: {reason}").format(
                reason=error.strerror),
                         file=str(path))
            return None
    if not path.exists():
        reader.issue("file-not-found", _("no such file or folder"), file=str(path))
        return None
    if path.name.lower().endswith(".csv"):
        # One table alone (offers.csv edited in a spreadsheet): it updates that table.
        try:
            return {path.name: path.read_bytes()}
        except OSError as error:
            reader.issue("file-not-found", _("cannot read the file: {reason}").format(
                reason=error.strerror),
                         file=str(path))
            return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist()
                     if n.lower().endswith(".csv") and not n.startswith("__MACOSX/")]
            roots = sorted((n for n in names if n.rsplit("/", 1)[-1] == "bundle.csv"),
                           key=lambda n: (n.count("/"), n))
            # The folder itself may have been zipped: read the files beside bundle.csv.
            prefix = roots[0][: -len("bundle.csv")] if roots else ""
            chosen = [n for n in names if n.startswith(prefix) and "/" not in n[len(prefix):]]
            return _inflate(archive, chosen, prefix, path, reader)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError,
            EOFError) as error:
        reader.issue("bad-zip", _("cannot read the zip: {reason}").format(reason=error),
                     file=str(path), hint=_("give a folder of CSV files, or a .zip made by "
                                            "pmae export --to csv-zip"))
        return None


#: The most a zip may inflate to, all its CSV files together (a national bundle is ~400 MB).
MAX_INFLATED: Final = 2 * 1024**3
#: The most a large entry may inflate relative to its compressed size; CSV compresses ~10×.
MAX_RATIO: Final = 200
#: Entries smaller than this are not held to the ratio (tiny files compress oddly).
_RATIO_FLOOR: Final = 1024**2


class _ZipBomb(Exception):
    """An archive that would inflate beyond the limits."""


def _inflate(archive: zipfile.ZipFile, names: list[str], prefix: str, path: Path,
             reader: _CsvReader) -> dict[str, bytes] | None:
    """The entries ``names``, inflated within :data:`MAX_INFLATED` and :data:`MAX_RATIO`.

    The sizes a zip declares may lie, so reading stops as soon as the real bytes pass them.
    """
    files: dict[str, bytes] = {}
    budget = MAX_INFLATED
    try:
        for name in names:
            info = archive.getinfo(name)
            ratio_cap = max(_RATIO_FLOOR, info.compress_size * MAX_RATIO)
            cap = min(budget, ratio_cap)
            with archive.open(info) as entry:
                data = entry.read(cap + 1)
            if len(data) > cap:
                raise _ZipBomb((
                    _("{name} inflates past {size} MB ({ratio}× its compressed size)")
                    if cap == ratio_cap else
                    _("{name} inflates past {size} MB (the limit for a whole archive is "
                      "{limit} GB)")).format(name=name, size=f"{cap / 1e6:,.0f}",
                                             ratio=MAX_RATIO,
                                             limit=f"{MAX_INFLATED / 1e9:,.1f}"))
            budget -= len(data)
            files[name[len(prefix):]] = data
    except _ZipBomb as error:
        reader.issue("zip-too-large", _("refused to unpack the zip: {reason}").format(
            reason=error), file=str(path),
                     hint=_("unzip it yourself and import the folder if you trust it"))
        return None
    return files


def read_tables(path: Path, options: Mapping[str, str]) -> ImportResult:
    """A folder or a ``.zip`` of pmae CSV tables, or one table alone (``offers.csv``), as a
    bundle document to validate (partial without ``bundle.csv``)."""
    reader = _CsvReader(encoding=options.get("encoding", "utf-8"))
    for name in sorted(set(options) - {"encoding"}):
        reader.issue("bad-option", _("unknown option {name}; the importer takes "
                                     "encoding").format(name=repr(name)),
                     file=None, severity="warning")
    files = _load_files(path, reader)
    if files is None:
        return ImportResult(document=None, issues=tuple(reader.issues))
    tables = {table.file: table for table in layout()}
    for name in files:
        if name not in tables:
            reader.issue("unknown-file", _("{name} is not a table of a pmae bundle; "
                                           "ignored").format(name=name),
                         file=name, severity="warning",
                         hint=_("tables: {tables}").format(tables=", ".join(tables)))
    rows = {table.file: reader.rows(table.file, files[table.file])
            for table in layout() if table.file in files}
    undecodable = [i for i in reader.issues if i.code == "invalid-encoding"]
    if undecodable:
        # A file that could not be decoded makes every later issue (missing fields, unknown
        # parents…) a consequence: report the cause alone.
        return ImportResult(document=None, issues=tuple(undecodable))
    return build_document(reader, rows, envelope_hint=_("bundle.csv holds format_version, "
                                                          "source and generated_at"))
