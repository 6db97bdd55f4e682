"""pmae.io.csv_reader: the CSV reading helpers importers share (issue 13, point 6)."""

from __future__ import annotations

from pathlib import Path

from pmae.io.csv_reader import detect_encoding, read_rows, sniff_delimiter, unprotect
from pmae.io.csv_writer import neutralise


def test_detect_encoding_of_bytes_and_files(tmp_path: Path) -> None:
    latin = "Société;Évreux\n".encode("latin-1")
    assert detect_encoding(latin) == "latin-1"
    assert detect_encoding(latin, fallback="cp1252") == "cp1252"
    assert detect_encoding("Société".encode()) == "utf-8-sig"
    path = tmp_path / "extract.csv"
    # A multi-byte character across the 1 MB block boundary is still UTF-8.
    path.write_bytes(b"a" * ((1 << 20) - 1) + "é".encode())
    assert detect_encoding(path) == "utf-8-sig"
    path.write_bytes(b"a" * (1 << 20) + latin)
    assert detect_encoding(path) == "latin-1"


def test_read_rows_sniffs_the_delimiter_and_drops_the_bom() -> None:
    assert sniff_delimiter("a;b,c;d\n1,2") == ";"
    rows, issues = read_rows("\ufeffnom;ville\nA;Lyon\n".encode(), file="t.csv")
    assert (rows, issues) == ([["nom", "ville"], ["A", "Lyon"]], [])


def test_read_rows_locates_what_it_cannot_read() -> None:
    rows, [issue] = read_rows(b"a,b\n\xe9,c\n", file="t.csv", encoding_hint="save as UTF-8")
    assert rows is None
    assert (issue.code, issue.file, issue.message, issue.hint) == (
        "invalid-encoding", "t.csv", "byte 0xe9 is not utf-8", "save as UTF-8")
    rows, [issue] = read_rows(b'a,b\n1,2\n"x"y,3\n', file="t.csv", namespace="occitanie")
    assert (rows, issue.code, issue.line) == (None, "occitanie:bad-csv", 3)
    _, [issue] = read_rows(b"a", file="t.csv", encoding="nope", namespace="occitanie")
    assert (issue.code, issue.message) == ("occitanie:bad-option", "unknown encoding 'nope'")


def test_unprotect_undoes_what_the_writer_neutralises() -> None:
    for text in ("=HYPERLINK(1)", "+33 6 00", "\u200bcaché", "＝1", "-5 €"):
        assert unprotect(neutralise(text)) == text
    assert unprotect("'") == ""
    assert unprotect("'abc") == "'abc"  # typed by hand: kept
    assert unprotect("-3") == "-3"
