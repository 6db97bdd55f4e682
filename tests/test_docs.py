"""The documentation in docs/ is tested: its examples run and its tables match the code.

- every ```python block of docs/*.md runs, each on its own, in an empty temporary folder;
- every ```json block of docs/bundles.md that is a whole bundle validates with no issue;
- docs/vocabularies.md lists exactly the codes of every shipped vocabulary;
- docs/validation.md lists exactly the codes of ``pmae.issues.ISSUE_TYPES``;
- docs/model.md has a table per model class with exactly its fields, and says which are required
  and what the defaults are.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import attrs
import pytest

import pmae
from pmae.issues import ISSUE_TYPES
from pmae.vocab import core_vocabularies

DOCS = Path(__file__).resolve().parents[1] / "docs"
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


@pytest.mark.parametrize(("where", "body"), PYTHON_BLOCKS, ids=[i for i, _ in PYTHON_BLOCKS])
def test_python_example_runs(where: str, body: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Tracebacks name the page and the line of the block (docs/bundles.md:150).
    exec(compile(body, f"docs/{where}", "exec"), {"__name__": "__docs__"})


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
