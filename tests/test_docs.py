"""The documentation in docs/ is tested: its examples run and its tables match the code.

- every ```python block of docs/*.md runs, each on its own, in an empty temporary folder, and
  what it prints must be the ```text block marked ``<!-- python-output -->`` after it, if any;
- every ```json block of docs/bundles.md that is a whole bundle validates with no issue;
- docs/vocabularies.md lists exactly the codes of every shipped vocabulary;
- docs/validation.md lists exactly the codes of ``pmae.issues.ISSUE_TYPES``;
- docs/model.md has a table per model class with exactly its fields, and says which are required
  and what the defaults are;
- every ```console block of README.md and docs/**/*.md marked ``<!-- check-output ... -->`` is
  run: each ``$ pmae ...`` line runs the installed ``pmae`` command in a temporary folder and
  what it prints (stdout and stderr, in order) must be the lines under it (see
  ``test_console_session_output``);
- the API reference (docs/reference/) has a page for every public module it covers, and every
  name ``import pmae`` gives.
"""

from __future__ import annotations

import csv
import html
import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

import pmae
from pmae.issues import ISSUE_TYPES
from pmae.vocab import core_vocabularies

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
ROW = re.compile(r"^\|(.*)\|\s*$")


def _blocks(lang: str, *names: str) -> list[tuple[str, str]]:
    """``(id, body)`` of every fenced block in ``lang``; the id is ``file:line``."""
    found = []
    paths = [DOCS / name for name in names] if names else sorted(DOCS.glob("*.md"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match["lang"] == lang:
                line = text.count("\n", 0, match.start()) + 1
                found.append((f"{path.name}:{line}", match["body"]))
    return found


def _cells(line: str) -> list[str] | None:
    """The cells of a Markdown table row (``\\|`` kept as ``|``), or None for other lines."""
    match = ROW.match(line)
    if match is None:
        return None
    cells = re.split(r"(?<!\\)\|", match[1])
    return [html.unescape(cell.strip().replace("\\|", "|")) for cell in cells]


def _is_separator(cells: list[str]) -> bool:
    return all(re.fullmatch(r":?-+:?", cell) for cell in cells)


def _code(cell: str) -> str | None:
    match = re.fullmatch(r"`([^`]+)`", cell)
    return match[1] if match else None


# --- examples ----------------------------------------------------------------------------------

PYTHON_BLOCKS = _blocks("python")


def test_docs_have_python_examples() -> None:
    names = {block_id.split(":")[0] for block_id, _ in PYTHON_BLOCKS}
    assert {"model.md", "vocabularies.md", "territories.md", "bundles.md",
            "validation.md"} <= names


# A ```text block right after ``<!-- python-output -->`` is what the ```python block before it
# prints (``…`` as in console blocks, below).
PYTHON_OUTPUT = re.compile(r"^<!-- python-output -->\n```text\n(?P<body>.*?)^```$",
                           re.MULTILINE | re.DOTALL)


def _python_outputs() -> dict[str, str]:
    """Python block id -> the output shown for it."""
    outputs: dict[str, str] = {}
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in PYTHON_OUTPUT.finditer(text):
            before = [m for m in FENCE.finditer(text, 0, match.start()) if m["lang"] == "python"]
            assert before, f"{path.name}: <!-- python-output --> with no python block before it"
            line = text.count("\n", 0, before[-1].start()) + 1
            outputs[f"{path.name}:{line}"] = match["body"]
    return outputs


PYTHON_OUTPUTS = _python_outputs()


def test_python_outputs_follow_their_blocks() -> None:
    assert set(PYTHON_OUTPUTS) <= {block_id for block_id, _ in PYTHON_BLOCKS}
    assert any(block_id.startswith("orientation.md") for block_id in PYTHON_OUTPUTS)


@pytest.mark.parametrize(("where", "body"), PYTHON_BLOCKS, ids=[i for i, _ in PYTHON_BLOCKS])
def test_python_example_runs(where: str, body: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    # Tracebacks name the page and the line of the block (docs/bundles.md:150).
    exec(compile(body, f"docs/{where}", "exec"), {"__name__": "__docs__"})
    if where in PYTHON_OUTPUTS:
        actual = _lines(capsys.readouterr().out)
        assert _matches(_lines(PYTHON_OUTPUTS[where]), actual), (
            f"docs/{where} prints something else; the block after it should read:\n\n"
            + "\n".join(actual))


BUNDLE_BLOCKS = [(i, b) for i, b in _blocks("json", "bundles.md") if '"format_version"' in b]


def test_bundles_doc_has_bundle_examples() -> None:
    assert len(BUNDLE_BLOCKS) >= 2


@pytest.mark.parametrize("body", [b for _, b in BUNDLE_BLOCKS],
                         ids=[i for i, _ in BUNDLE_BLOCKS])
def test_json_bundle_example_is_valid(body: str) -> None:
    report = pmae.validate_document(json.loads(body))
    assert [issue.render() for issue in report.issues] == []
    assert report.bundle is not None


# --- vocabularies ------------------------------------------------------------------------------


def _documented_vocabularies() -> dict[str, list[str]]:
    """Vocabulary id -> codes listed under its ``### <id>`` heading, in order."""
    documented: dict[str, list[str]] = {}
    current: str | None = None
    for line in (DOCS / "vocabularies.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^(#+)\s+(.*)$", line)
        if heading:
            level, title = len(heading[1]), heading[2].strip()
            if level == 3:
                current = title
                assert current not in documented, f"vocabulary {current!r} documented twice"
                documented[current] = []
            elif level < 3:
                current = None
            continue
        cells = _cells(line)
        if current is None or cells is None or _is_separator(cells):
            continue
        code = _code(cells[0])
        if code is not None:
            documented[current].append(code)
    return documented


def test_vocabularies_doc_lists_every_vocabulary() -> None:
    assert set(_documented_vocabularies()) == set(core_vocabularies())


@pytest.mark.parametrize("vocabulary_id", sorted(core_vocabularies()))
def test_vocabularies_doc_lists_exactly_the_codes(vocabulary_id: str) -> None:
    vocabulary = core_vocabularies()[vocabulary_id]
    documented = _documented_vocabularies().get(vocabulary_id, [])
    missing = [code for code in vocabulary.codes() if code not in documented]
    unknown = [code for code in documented if code not in vocabulary]
    assert missing == [], f"codes of {vocabulary_id!r} missing from docs/vocabularies.md"
    assert unknown == [], f"codes in docs/vocabularies.md unknown to {vocabulary_id!r}"
    assert len(documented) == len(set(documented)), "a code is listed twice"


def test_vocabularies_doc_says_open_and_ordered() -> None:
    text = (DOCS / "vocabularies.md").read_text(encoding="utf-8")
    for vocabulary in core_vocabularies().values():
        section = text.split(f"\n### {vocabulary.id}\n", 1)[1].split("\n### ", 1)[0]
        kind = ("open" if vocabulary.open else "closed") + "; " + (
            "ordered" if vocabulary.ordered else "not ordered")
        assert f"\n- {kind}\n" in section, vocabulary.id
        for term in vocabulary.terms:
            row = f"| `{term.code}` | {term.label_fr} | {term.label_en} |"
            assert row in section, f"{vocabulary.id}: labels of {term.code!r}"


# --- issue codes -------------------------------------------------------------------------------


def _issue_table() -> dict[str, list[str]]:
    text = (DOCS / "validation.md").read_text(encoding="utf-8")
    section = text.split("\n## Issue codes\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    header_seen = False
    for line in section.splitlines():
        cells = _cells(line)
        if cells is None:
            continue
        if not header_seen:
            assert cells == ["code", "layer", "title", "hint"]
            header_seen = True
            continue
        if _is_separator(cells):
            continue
        code = _code(cells[0])
        assert code is not None, line
        assert code not in rows, f"{code} listed twice"
        rows[code] = cells[1:]
    return rows


def test_validation_doc_lists_exactly_the_issue_codes() -> None:
    assert sorted(_issue_table()) == sorted(ISSUE_TYPES)


def _expected_issue_table() -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("<", "&lt;")

    rows = ["| code | layer | title | hint |", "|---|---|---|---|"]
    rows += [f"| `{t.code}` | {t.layer} | {cell(t.title)} | {cell(t.hint)} |"
             for t in ISSUE_TYPES.values()]
    return "\n".join(rows)


def test_validation_doc_issue_rows_match_the_catalogue() -> None:
    table = _issue_table()
    expected = {code: [t.layer, t.title, t.hint] for code, t in ISSUE_TYPES.items()}
    assert table == expected, (
        "docs/validation.md is out of date; replace its table of issue codes with:\n\n"
        + _expected_issue_table()
    )


# --- model -------------------------------------------------------------------------------------

MODEL_CLASSES = [
    pmae.Actor, pmae.Offer, pmae.Association, pmae.Diagnosis, pmae.Need, pmae.Referral,
    pmae.Meeting, pmae.Speaker, pmae.Workshop, pmae.Registration, pmae.Production,
    pmae.Resource, pmae.Programme, pmae.Person, pmae.Source, pmae.Provenance, pmae.Bundle,
]


def _model_tables() -> dict[str, dict[str, str]]:
    """Class name -> field -> its 'required / default' cell, from docs/model.md."""
    tables: dict[str, dict[str, str]] = {}
    current: str | None = None
    for line in (DOCS / "model.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#+\s+`(\w+)`\s*$", line)
        if heading:
            current = heading[1]
            assert current not in tables, f"{current} documented twice"
            tables[current] = {}
            continue
        if line.startswith("#"):
            current = None
            continue
        cells = _cells(line)
        if current is None or cells is None or _is_separator(cells) or cells[0] == "field":
            continue
        field = _code(cells[0])
        assert field is not None, line
        assert len(cells) == 4, line
        tables[current][field] = cells[2]
    return tables


def _json_default(value: object) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_model_doc_table_matches_the_class(cls: type) -> None:
    table = _model_tables().get(cls.__name__)
    assert table is not None, f"no table for {cls.__name__} in docs/model.md"
    fields = attrs.fields(cls)
    assert list(table) == [field.name for field in fields]
    for field in fields:
        cell = table[field.name]
        default = field.default
        if default is attrs.NOTHING:
            assert cell == "required", (field.name, cell)
        elif isinstance(default, attrs.Factory) or default in (None, ()):  # type: ignore[arg-type]
            assert cell == "optional", (field.name, cell)
        else:
            expected = f"default `{_json_default(default)}`"
            assert expected in cell, (field.name, cell, expected)


def test_model_doc_visibility_defaults() -> None:
    # Records about associations are restricted by default, the others public.
    tables = _model_tables()
    for cls in pmae.COLLECTIONS.values():
        default = attrs.fields_dict(cls)["visibility"].default
        assert tables[cls.__name__]["visibility"] == f"default `{default}`"


# --- command-line sessions ---------------------------------------------------------------------
#
# A ```console block is checked when the line before it is ``<!-- check-output ... -->`` (an
# HTML comment: neither GitHub nor the site shows it). Its words, all optional:
#
# - ``setup=NAME``: what the temporary folder holds first (one of SETUPS below);
# - ``plugins=A,B``: the entry-point plugins to load (``PMAE_LOAD_PLUGINS``); none by default,
#   so whatever else is installed does not change the output;
# - ``needs=A,B``: programs the commands need (``chromium`` prints PDFs); the block is skipped
#   on a machine without them, like the tests that need them.
#
# Each ``$ pmae ...`` line runs the installed ``pmae`` console script; the lines under it, up to
# the next ``$`` line, are what it must print, stdout and stderr interleaved as a terminal shows
# them, the temporary folder's path removed and trailing spaces ignored. A line that is ``…``
# alone stands for any number of lines, a line ending in ``…`` for any end of line.

CHECKED = re.compile(
    r"^<!-- check-output(?P<args>[^>]*?)-->\n```console\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)


def _marked_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def _sessions() -> list[tuple[str, dict[str, str], str]]:
    """``(file:line, words, body)`` of every checked console block."""
    found = []
    for path in _marked_pages():
        text = path.read_text(encoding="utf-8")
        for match in CHECKED.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            words = dict(word.split("=", 1) for word in match["args"].split())
            found.append((f"{path.relative_to(ROOT)}:{line}", words, match["body"]))
    return found


def _pmae_command() -> list[str]:
    """The ``pmae`` console script installed with this Python (the real entry point)."""
    script = shutil.which("pmae", path=sysconfig.get_path("scripts"))
    assert script is not None, "the pmae console script is not installed: pip install -e ."
    return [script]


def _run_pmae(arguments: list[str], folder: Path, plugins: str = "", lang: str = "en") -> str:
    # lang: the locale of the terminal shown (the suite's own is English; `lang=fr` in the
    # check-output comment shows a French user's terminal, pmae's default).
    env = {**os.environ, "PMAE_LOAD_PLUGINS": plugins, "PYTHONUNBUFFERED": "1",
           "COLUMNS": "100", "NO_COLOR": "1", "LANGUAGE": lang}
    for name in ("PMAE_DISABLE_PLUGINS", "PMAE_STRICT_PLUGINS"):
        env.pop(name, None)
    completed = subprocess.run([*_pmae_command(), *arguments], cwd=folder, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=120, check=False)
    return completed.stdout.replace(f"{folder}{os.sep}", "").replace(str(folder), ".")


def _sample_document() -> dict[str, object]:
    from pmae.sample import sample_bytes

    document: dict[str, object] = json.loads(sample_bytes())
    return document


def _setup_sample(folder: Path) -> None:
    """``echantillon.json``: the embedded sample (as ``pmae sample -o echantillon.json``)."""
    from pmae.sample import sample_bytes

    (folder / "echantillon.json").write_bytes(sample_bytes())


def _setup_paie(folder: Path) -> None:
    """``bundle.json``: the sample whose fourth offer's first theme is ``paie``."""
    document = _sample_document()
    document["offers"][3]["themes"][0] = "paie"  # type: ignore[index]
    (folder / "bundle.json").write_text(json.dumps(document), encoding="utf-8")


def _edit_cell(path: Path, row: int, column: str, value: str) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[row][column] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _setup_csv_tables(folder: Path) -> None:
    """``tables/``: the sample exported as CSV (audience all), then two cells typed wrong: the
    second association's headcount and the fourth offer's themes."""
    _setup_sample(folder)
    _run_pmae(["export", "echantillon.json", "--to", "csv", "--audience", "all",
               "-o", "tables"], folder)
    (folder / "echantillon.json").unlink()
    _edit_cell(folder / "tables" / "associations.csv", 1, "headcount", "beaucoup")
    _edit_cell(folder / "tables" / "offers.csv", 3, "themes", "paie")


def _setup_conflict(folder: Path) -> None:
    """``old.json`` and ``new.json``: the same actor id, renamed in the new one."""
    for name, actor_name in (("old.json", "Le Mouvement associatif Rhône-Alpes"),
                               ("new.json", "LMA Rhône-Alpes")):
        document = {
            "format_version": "1.0.0",
            "source": {"slug": "lma-ra", "name": "Le Mouvement associatif Rhône-Alpes"},
            "generated_at": "2025-03-14T09:00:00+01:00",
            "actors": [{"id": "lma-ra:acteur-1", "name": actor_name,
                        "actor_type": "coordination_associative"}],
        }
        (folder / name).write_text(json.dumps(document), encoding="utf-8")


SETUPS: dict[str, Callable[[Path], None]] = {
    "sample": _setup_sample,
    "paie": _setup_paie,
    "csv-tables": _setup_csv_tables,
    "conflict": _setup_conflict,
}


def _commands(body: str) -> list[tuple[str, list[str]]]:
    """``(command line, expected output lines)`` of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before any command: {line!r}"
            steps[-1][1].append(line)
    return steps


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the lines match; ``…`` alone is any lines, a final ``…`` any end of line."""
    pattern = []
    for line in expected:
        if line.strip() == "…":
            pattern.append(r"(?:[^\n]*\n)*?")
        elif line.endswith("…"):
            pattern.append(re.escape(line[:-1]) + r"[^\n]*\n")
        else:
            pattern.append(re.escape(line) + r"\n")
    return re.fullmatch("".join(pattern), "".join(f"{line}\n" for line in actual)) is not None


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


SESSIONS = _sessions()


def test_drifted_examples_are_checked() -> None:
    # The examples a plugin author found out of date are now run (issue 9, item 6).
    checked = {(where.split(":")[0], step)
               for where, _, body in SESSIONS for step, _ in _commands(body)}
    assert ("README.md", "pmae validate bundle.json") in checked
    assert ("docs/validation.md", "pmae validate bundle.json") in checked
    assert ("docs/csv.md", "pmae import csv tables/ -o bundle.json") in checked
    assert ("docs/bundles.md", "pmae merge old.json new.json -o merged.json") in checked
    assert ("docs/diagnostics.md",
            "pmae diagnose diagnostic-partage --blank --format csv") in checked


@pytest.mark.parametrize(("where", "words", "body"), SESSIONS, ids=[w for w, _, _ in SESSIONS])
def test_console_session_output(where: str, words: dict[str, str], body: str,
                                tmp_path: Path) -> None:
    unknown = set(words) - {"setup", "plugins", "needs", "lang"}
    assert not unknown, f"{where}: unknown words {sorted(unknown)} in <!-- check-output -->"
    absent = [name for name in words.get("needs", "").split(",")
              if name and shutil.which(name) is None]
    if absent:
        pytest.skip(f"{where} needs {', '.join(absent)}")
    if "setup" in words:
        assert words["setup"] in SETUPS, f"{where}: no setup {words['setup']!r}: {list(SETUPS)}"
        SETUPS[words["setup"]](tmp_path)
    for command, expected in _commands(body):
        arguments = shlex.split(command)
        assert arguments[0] == "pmae", f"{where}: only pmae commands are run: {command}"
        actual = _lines(_run_pmae(arguments[1:], tmp_path, words.get("plugins", ""),
                                  words.get("lang", "en")))
        assert _matches(_lines("\n".join(expected)), actual), (
            f"{where}: `{command}` printed something else; the block should read:\n\n"
            + "\n".join([f"$ {command}", *actual]))


# --- API reference -----------------------------------------------------------------------------
#
# One page per module under docs/reference/, each a `::: module` line that mkdocstrings fills
# from the docstrings when the site is built (`mkdocs build --strict` also fails on a page that
# is not in mkdocs.yml's nav, and on a link to a name it cannot find).

REFERENCE = DOCS / "reference"
DIRECTIVE = re.compile(r"^::: ([\w.]+)$", re.MULTILINE)
# Modules documented on their own page, and packages whose every public module has one.
REFERENCED_MODULES = ["pmae", "pmae.sessions", "pmae.updates", "pmae.model", "pmae.plugins",
                      "pmae.vocab", "pmae.territories", "pmae.issues", "pmae.testing"]
REFERENCED_PACKAGES = ["pmae.io", "pmae.analysis"]


def _reference_targets() -> dict[str, str]:
    """Module documented -> the page (relative to docs/) that documents it."""
    targets: dict[str, str] = {}
    for page in sorted(REFERENCE.rglob("*.md")):
        for target in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            assert target not in targets, f"{target} documented twice"
            targets[target] = str(page.relative_to(DOCS))
    return targets


def _public_modules(package: str) -> list[str]:
    import pkgutil

    path = importlib.import_module(package).__path__
    return [f"{package}.{info.name}" for info in pkgutil.iter_modules(path)
            if not info.name.startswith("_")]


def test_reference_has_a_page_per_public_module() -> None:
    expected = [*REFERENCED_MODULES, *REFERENCED_PACKAGES]
    for package in REFERENCED_PACKAGES:
        expected += _public_modules(package)
    targets = _reference_targets()
    missing = [name for name in expected if name not in targets]
    assert missing == [], "\n".join(
        ["modules without a page in docs/reference/; for each, add the page and its line in "
         "mkdocs.yml's nav:"]
        + [f"  docs/reference/{name.removeprefix('pmae.').replace('.', '/')}.md:"
           f"  # `{name}`\\n\\n::: {name}" for name in missing])


def test_reference_pages_name_modules_that_exist() -> None:
    for target, page in _reference_targets().items():
        assert importlib.util.find_spec(target) is not None, (
            f"docs/{page} documents {target}, which no longer exists: point it at the module's "
            "new place (or delete the page and its line in mkdocs.yml)")


def test_reference_front_door_lists_every_public_name() -> None:
    text = (REFERENCE / "index.md").read_text(encoding="utf-8")
    missing = [name for name in pmae.__all__ if f"[`pmae.{name}`][" not in text]
    assert missing == [], (
        "docs/reference/index.md does not list these names of `import pmae`; add a line "
        "`- [`pmae.NAME`][module.NAME]` for each: " + ", ".join(missing))
