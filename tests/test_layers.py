"""The architecture's arrows point down: every import of every module under src/pmae is read.

Layers, top to bottom (DESIGN §4): cli → render → analysis → session → plugins → io → model.
A module may import its own layer and the layers below it, never one above. Imports under
``if TYPE_CHECKING:`` are type-only and allowed anywhere; function-level imports count (a lazy
import is still an arrow).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pmae

SOURCE = Path(pmae.__file__).resolve().parent

#: ``pmae`` itself, the lazy facade of ``pmae/__init__``, is at the top with the command line:
#: it may hand out any public name, so no lower module may import names from it. It is matched
#: exactly, so that a new module in no layer fails the test instead of landing at the top.
FACADE = "pmae"

#: Top to bottom: layer name -> module prefixes (a prefix covers its submodules).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cli", ("pmae.cli", "pmae.commands", "pmae.__main__")),
    ("render", ("pmae.render", "pmae.report", "pmae.sheets")),
    ("analysis", ("pmae.analysis",)),
    # Session-level: what builds on plugins and io to serve a run (the session itself, the
    # exchange of bundles through exporters, updating a bundle in place, the bundled sample,
    # the synthetic national data, the pytest helpers shipped to plugin authors, the store).
    ("session", ("pmae.sessions", "pmae.exchange", "pmae.updates", "pmae.sample",
                 "pmae.synth", "pmae.testing", "pmae.store")),
    ("plugins", ("pmae.plugins", "pmae.default_plugins", "pmae.diagnostics")),
    ("io", ("pmae.io",)),
    ("model", ("pmae.model", "pmae.vocab", "pmae.territories", "pmae.issues", "pmae.jsonpath",
               "pmae.identifiers", "pmae.i18n")),
)

#: Upward imports that exist on main in modules other helpers are moving right now (issue 9).
#: Each entry: (importer, imported, why it is there). The lead empties this list as the moves
#: land; an entry that no longer matches an import fails the test, so it cannot go stale.
KNOWN_VIOLATIONS: tuple[tuple[str, str, str], ...] = (
)


def _layer(module: str) -> int:
    """The index of ``module``'s layer (0 is the top), by its longest matching prefix."""
    if module == FACADE:
        return 0
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), index)
    if best is None:
        raise LookupError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
    return best[1]


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    root = SOURCE.parent
    return (root / relative).with_suffix(".py").is_file() or (root / relative).is_dir()


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, package: bool) -> Iterator[tuple[str, int]]:
    """(imported pmae module, line) for every import outside ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), module, package)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if _is_module(full) else base), node.lineno
        yield from _imports(node, module, package)


def _arrows() -> Iterator[tuple[str, str, int]]:
    for module, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for imported, line in _imports(tree, module, path.name == "__init__.py"):
            if imported == "pmae" or imported.startswith("pmae."):
                yield module, imported, line


def test_every_module_is_in_a_layer() -> None:
    unplaced = []
    for module, _ in _modules():
        try:
            _layer(module)
        except LookupError as error:
            unplaced.append(str(error))
    assert unplaced == []


def test_imports_point_down() -> None:
    known = {(importer, imported) for importer, imported, _ in KNOWN_VIOLATIONS}
    upward, seen = [], set()
    for importer, imported, line in _arrows():
        if _layer(imported) >= _layer(importer):
            continue
        if (importer, imported) in known:
            seen.add((importer, imported))
            continue
        upward.append(f"{importer} (line {line}, layer {LAYERS[_layer(importer)][0]}) imports "
                      f"{imported} (layer {LAYERS[_layer(imported)][0]})")
    assert upward == []
    assert sorted(known - seen) == [], "known violations that no longer exist: remove them"


def test_the_reader_sees_function_level_imports_and_skips_type_checking_ones() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pmae.cli import main\n"
        "def f():\n    from pmae.analysis import coverage\n"
        "from . import records\n"
    )
    found = [name for name, _ in _imports(tree, "pmae.model.bundle", package=False)]
    assert "pmae.analysis.coverage" in found
    assert "pmae.model.records" in found
    assert not any(name.startswith("pmae.cli") for name in found)
    assert _layer("pmae.cli.validate") == 0  # the cli package other helpers are building
    assert _layer("pmae.render.html") == 1
    assert _layer("pmae") == 0
    with pytest.raises(LookupError, match=r"pmae\.newthing is in no layer"):
        _layer("pmae.newthing")


@pytest.mark.parametrize("module", ["pmae.model", "pmae.vocab", "pmae.territories"])
def test_importing_the_bottom_layer_loads_no_io(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "print(' '.join(m for m in sys.modules if m == 'pmae.io' or m.startswith('pmae.io.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
