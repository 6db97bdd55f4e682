"""The native formats: the JSON bundle and its JSON Lines form, both ways."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from pmae.io.bundles import bundle_to_data
from pmae.io.files import DocumentError, dumps_json, dumps_json_lines, read_document
from pmae.jsonpath import record_position
from pmae.model import Bundle
from pmae.plugins.hookspecs import hookimpl
from pmae.plugins.items import ExportContext, Exporter, Importer, ImportResult


def export_json(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """The bundle as one pretty JSON document."""
    stream.write(dumps_json(bundle_to_data(bundle)))


def export_json_lines(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """The bundle as JSON Lines: the envelope, then one record a line."""
    for line in dumps_json_lines(bundle_to_data(bundle)):
        stream.write(line)


def read_bundle(path: Path, options: Mapping[str, str]) -> ImportResult:
    """A bundle file, JSON or JSON Lines (by its name), as a document to validate."""
    try:
        document = read_document(path)
    except DocumentError as error:
        return ImportResult(document=None, issues=(error.issue,))
    def locate(json_path: str) -> tuple[str | None, int | None, str | None] | None:
        position = record_position(json_path)
        line = document.line_of(*position) if position else None
        return (str(path), line, None)

    return ImportResult(document=document.data, locate=locate)


@hookimpl
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``json`` and ``jsonl``."""
    register(Exporter(name="json", title="Bundle pmae (JSON)", export=export_json,
                      suffix=".json", description="The native bundle, one JSON document."))
    register(Exporter(name="jsonl", title="Bundle pmae (JSON Lines)", export=export_json_lines,
                      suffix=".jsonl",
                      description="The native bundle, one record a line, for large data."))


@hookimpl
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """``json`` (reads JSON Lines too, by the file name)."""
    register(Importer(name="json", title="Bundle pmae (JSON ou JSON Lines)", read=read_bundle,
                      description="A native bundle; .jsonl and .ndjson files as JSON Lines."))
