"""Fuzzing the command line: generated bad inputs fed to the real commands (issue 13).

Whatever the input, a command ends with exit 0, 1 or 2 and no traceback. Each run makes
``PMAE_FUZZ`` inputs (1,000 by default, the CI setting, about 30 s); the local profile is
``PMAE_FUZZ=10000``. ``PMAE_FUZZ_SEED`` picks another set of inputs (the default seed makes CI
reproducible); a failure prints the seed, the input's number, the command and the file to replay
it. The commands run in-process (click's ``CliRunner``, for speed), and a few through the real
``pmae`` entry point in a subprocess.

Inputs are mutations of a small valid bundle: bytes flipped, inserted, cut; values replaced by
hostile ones (deep nesting, huge numbers, control characters, direction overrides, formulas,
dates at the edges of the calendar, wrong types); keys repeated, dropped, added; other
encodings; JSON Lines; and CSV tables (a folder or a zip) with hostile cells and broken files.
"""

from __future__ import annotations

import copy
import io
import json
import os
import random
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner
from conftest import VALID_DOCUMENT

from pmae.cli import cli
from pmae.default_plugins.csv_tables import export_files
from pmae.io.pipeline import validate_document
from pmae.plugins.items import ExportContext
from pmae.vocab import core_vocabularies

COUNT = int(os.environ.get("PMAE_FUZZ", "1000"))
SEED = int(os.environ.get("PMAE_FUZZ_SEED", "13"))
ALLOWED_CODES = {0, 1, 2}

#: Values that broke, or could break, some layer.
HOSTILE: list[Any] = [
    None, True, 0, -1, 2.0, 1e308, -1e-308, 2**63, 2**64, -(2**63) - 1, 10**30, "", " ",
    "\x00", "a\x00b", "\u202etxt.exe", "\u2066x\u2069", '=HYPERLINK("http://x","y")',
    "+33 6 12", "-1+1", "@SUM(A1)", "\uff1d1+1", "\u200b=1", "\ufeff", "\ud7ff\ue000",
    "x" * 5000, "é" * 300, "0000-01-01", "0001-01-01", "9999-12-31", "2025-02-29",
    "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2025-13-01T00:00:00Z",
    "2016-12-31T23:59:60Z", "http://", "https://exa mple", "javascript:alert(1)",
    "com:00000", "dep:2A", "reg:84", "lma-ra:", ":", "../../etc/passwd", "C:\\x\\y.json",
    [], {}, [[[]]], {"": {}}, [None], ["a"] * 200, {"a": "b"}, [1, "x", None],
]

#: Depths of nested values in a tree (orjson writes at most 254 levels, with the document's).
_DEPTHS = [10, 63, 64, 65, 100, 200, 240]


def _nested(depth: int, rng: random.Random) -> Any:
    value: Any = rng.choice([1, "x", [], {}])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"a": value}
    return value


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if len(prefix) > 12:  # not into nesting a mutation made
        return found
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def _hostile_value(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return _nested(rng.choice(_DEPTHS), rng)
    return copy.deepcopy(rng.choice(HOSTILE))


def _mutate_tree(rng: random.Random) -> bytes:
    data = copy.deepcopy(VALID_DOCUMENT)
    if rng.random() < 0.1:  # a whole record replaced: where an object is expected
        records = data[rng.choice([k for k, v in data.items() if isinstance(v, list)])]
        records[0] = (_nested(rng.choice(_DEPTHS), rng) if rng.random() < 0.5
                      else _hostile_value(rng))
    for _ in range(rng.randint(1, 4)):
        paths = _paths(data)
        path = rng.choice(paths[1:]) if len(paths) > 1 else ()
        action = rng.random()
        if action < 0.6:
            data = _set(data, path, _hostile_value(rng))
        elif action < 0.8 and path:
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and parent:
                parent.pop(path[-1] if path[-1] < len(parent) else 0)
        else:
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent[rng.choice(["extra", "id", "name", "x:y", ""])] = _hostile_value(rng)
    try:
        text = orjson.dumps(data)
    except TypeError:  # an integer past 64 bits: the standard library writes it
        text = json.dumps(data).encode()
    if rng.random() < 0.2:  # a repeated key, by text
        text = text.replace(b'"name":', b'"name":"dup","name":', 1)
    return text


_TEXT_FIELDS = frozenset({"name", "title", "description", "place", "role", "summary"})
_TEXTS = ['=HYPERLINK("http://x","y")', "+33 6 12", "-1+1", "@SUM(A1)", "\uff1d1+1",
          "\u200b=1", " =1", "\t=1", "'", "''", "a | b", "a\\|b", "\\", "é" * 300, "x" * 300,
          "<script>alert(1)</script>", "&amp;", "a\r\nb", "BEGIN:VCALENDAR", '"', "a,b;c",
          "\u00a0", "\U0001f600", "\u0301", "\u202b", "\x07"]


def _hostile_texts(rng: random.Random) -> bytes:
    """Texts a schema accepts (mostly) but an output could mishandle: the later layers run."""
    data = copy.deepcopy(VALID_DOCUMENT)
    paths = [p for p in _paths(data) if p and p[-1] in _TEXT_FIELDS]
    for path in rng.sample(paths, k=min(len(paths), rng.randint(1, 4))):
        _set(data, path, rng.choice(_TEXTS))
    if rng.random() < 0.3:
        data["associations"][0]["headcount"] = 3.0
    return orjson.dumps(data)


def _deep(rng: random.Random) -> bytes:
    """Nesting written as text, up to past orjson's limit, where any value (or record) was."""
    data = copy.deepcopy(VALID_DOCUMENT)
    records = [p for p in _paths(data) if len(p) == 2 and isinstance(p[1], int)]
    # A record is where it hurt most: its wrong type is reported with the value's repr.
    _set(data, rng.choice(records if rng.random() < 0.5 else _paths(data)[1:]), "@@deep@@")
    depth = rng.choice([65, 255, 900, 990, 1_000, 1_005, 1_010, 1_015, 1_020, 1_100, 50_000])
    arrays_only = rng.random() < 0.5
    levels = ["[" if arrays_only or rng.random() < 0.5 else "{" for _ in range(depth)]
    text = "".join('{"a":' if c == "{" else "[" for c in levels) + "1" + "".join(
        "}" if c == "{" else "]" for c in reversed(levels))
    return orjson.dumps(data).replace(b'"@@deep@@"', text.encode())


def _mutate_bytes(rng: random.Random) -> bytes:
    data = bytearray(orjson.dumps(VALID_DOCUMENT, option=orjson.OPT_INDENT_2))
    for _ in range(rng.randint(1, 8)):
        position = rng.randrange(len(data))
        action = rng.random()
        if action < 0.4:
            data[position] = rng.randrange(256)
        elif action < 0.7:
            data[position:position] = bytes(rng.choice([b"{", b"[", b'"', b",", b":", b"\\",
                                                        b"\x00", b"\xff", b"\xe2\x80\xae"]))
        else:
            del data[position:position + rng.randint(1, 50)]
    if rng.random() < 0.1:
        data = data[: rng.randrange(len(data))]
    return bytes(data)


def _other_encoding(rng: random.Random) -> bytes:
    text = json.dumps(VALID_DOCUMENT, ensure_ascii=False)
    encoding = rng.choice(["utf-16", "utf-16-le", "utf-32", "latin-1", "utf-8-sig", "cp1252"])
    return text.encode(encoding, errors="replace")


def _json_lines(rng: random.Random) -> bytes:
    envelope = {k: v for k, v in VALID_DOCUMENT.items() if not isinstance(v, list)}
    lines = [orjson.dumps(envelope)]
    for collection, records in VALID_DOCUMENT.items():
        if isinstance(records, list):
            lines += [orjson.dumps({collection: record}) for record in records]
    position = rng.randrange(len(lines))
    lines[position] = rng.choice([
        b"", b"[]", b"{}", b'{"a": 1, "b": 2}', b'{"nope": {}}', orjson.dumps(envelope),
        b'{"actors": ' + b"[" * 2000 + b"]" * 2000 + b"}", b'{"actors": {"id": 1, "id": 2}}',
        lines[position][: len(lines[position]) // 2], b"\xff\xfe"])
    return b"\n".join(lines) + b"\n"


def _csv_files() -> dict[str, bytes]:
    report = validate_document(copy.deepcopy(VALID_DOCUMENT))
    assert report.bundle is not None
    context = ExportContext(audience="all", options={}, vocabularies=core_vocabularies(),
                            territories=None, lang="fr")  # type: ignore[arg-type]
    return export_files(report.bundle, context)


def _mutate_csv(rng: random.Random, files: dict[str, bytes]) -> dict[str, bytes]:
    files = dict(files)
    name = rng.choice(sorted(files))
    text = files[name].decode()
    rows = [line.split(",") for line in text.split("\r\n")]
    for _ in range(rng.randint(1, 4)):
        row = rng.choice(rows)
        if row:
            cell = rng.choice([str(v) for v in HOSTILE if not isinstance(v, (list, dict))]
                              + ['"', '"a""', "a,b", "\r\n", "'", "'=1", "1 | 2 | \\"])
            row[rng.randrange(len(row))] = cell
    data = "\r\n".join(",".join(row) for row in rows).encode()
    action = rng.random()
    if action < 0.1:
        data = data[: rng.randrange(len(data) + 1)]
    elif action < 0.2:
        data = data.replace(b"a", b"\xe9", 1)
    elif action < 0.25:
        files.pop("bundle.csv", None)
    files[name] = data
    if rng.random() < 0.1:
        files["stray.csv"] = b"a,b\r\n1,2\r\n"
    return files


def _write_csv(rng: random.Random, files: dict[str, bytes], folder: Path) -> Path:
    if rng.random() < 0.5:
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        return folder
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    data = buffer.getvalue()
    if rng.random() < 0.15:  # a damaged archive
        cut = rng.randrange(len(data))
        data = data[:cut] + bytes([rng.randrange(256)]) + data[cut + 1:]
    path = folder.with_suffix(".zip")
    path.write_bytes(data)
    return path


def _json_commands(path: Path, out: Path) -> list[list[str]]:
    bundle = str(path)
    return [
        ["validate", bundle], ["validate", bundle, "--format", "json"],
        ["export", bundle, "--to", "json", "-o", str(out / "e.json")],
        ["export", bundle, "--to", "csv-zip", "--audience", "network", "-o", str(out / "e.zip")],
        ["export", bundle, "--to", "csv", "--audience", "all", "-o", str(out / "e")],
        ["export", bundle, "--to", "jsonl", "-o", str(out / "e.jsonl")],
        ["import", "json", bundle, "-o", str(out / "i.json")],
        ["merge", bundle, bundle, "-o", str(out / "m.json")],
        ["coverage", bundle], ["attendance", bundle, "--format", "csv"],
        ["needs", bundle],
    ]


def _cases(count: int, root: Path) -> list[tuple[str, Path, list[str]]]:
    """``count`` inputs, each with the command it goes to: (what, input, arguments)."""
    rng = random.Random(SEED)
    csv_files = _csv_files()
    makers: list[tuple[str, Callable[[random.Random], bytes]]] = [
        ("tree", _mutate_tree), ("text", _hostile_texts), ("bytes", _mutate_bytes),
        ("encoding", _other_encoding), ("deep", _deep)]
    cases = []
    for number in range(count):
        folder = root / f"case-{number}"
        out = folder / "out"
        out.mkdir(parents=True)
        kind = rng.random()
        if kind < 0.2:
            path = _write_csv(rng, _mutate_csv(rng, csv_files), folder / "tables")
            cases.append(("csv", path, ["import", "csv", str(path), "-o", str(out / "i.json")]))
            continue
        if kind < 0.3:
            what, data, suffix = "jsonl", _json_lines(rng), ".jsonl"
        else:
            what, maker = (makers[0] if kind < 0.5 else makers[1] if kind < 0.65
                           else makers[4] if kind < 0.75 else rng.choice(makers))
            data, suffix = maker(rng), ".json"
        path = folder / f"bundle{suffix}"
        path.write_bytes(data)
        cases.append((what, path, rng.choice(_json_commands(path, out))))
    return cases


def _failure(number: int, what: str, arguments: list[str], detail: str) -> str:
    return (f"input {number} ({what}, PMAE_FUZZ_SEED={SEED}): pmae {' '.join(arguments)}\n"
            f"{detail}")


def test_bad_inputs_never_crash_a_command(tmp_path: Path) -> None:
    runner = CliRunner()
    failures = []
    for number, (what, _, arguments) in enumerate(_cases(COUNT, tmp_path)):
        result = runner.invoke(cli, arguments)
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        if crashed or result.exit_code not in ALLOWED_CODES or "Traceback" in result.output:
            import traceback

            detail = "".join(traceback.format_exception(result.exception)) if crashed else (
                f"exit {result.exit_code}\n{result.output[-2000:]}")
            failures.append(_failure(number, what, arguments, detail))
    assert not failures, f"{len(failures)} of {COUNT} inputs crashed:\n\n" + "\n\n".join(
        failures[:5])


def test_bad_inputs_through_the_real_entry_point(tmp_path: Path) -> None:
    """A few inputs through ``pmae`` itself: main()'s handlers, no CliRunner in between."""
    cases = _cases(12, tmp_path)
    env = {**os.environ, "PMAE_DISABLE_PLUGINS": "pmae-broken"}
    for number, (what, _, arguments) in enumerate(cases):
        process = subprocess.run([sys.executable, "-m", "pmae.cli", *arguments], env=env,
                                 capture_output=True, timeout=120, check=False)
        output = (process.stdout + process.stderr).decode(errors="replace")
        assert process.returncode in ALLOWED_CODES and "Traceback" not in output, _failure(
            number, what, arguments, f"exit {process.returncode}\n{output[-2000:]}")


def test_the_fuzz_covers_every_kind_of_input(tmp_path: Path) -> None:
    cases = _cases(50, tmp_path)
    assert len(cases) == 50
    assert {what for what, _, _ in cases} >= {"tree", "text", "bytes", "csv", "jsonl"}
