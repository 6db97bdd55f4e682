"""docs/plugins/ is tested: every hook documented with its exact signature, the tutorial runs.

The tutorial's ```python blocks, in order, are the module ``pmae_occitanie`` and then its tests;
the tests are run here with the :mod:`pmae.testing` fixtures they ask for.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pmae.plugins import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plugins"
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("pmae_"))


def signature_of(name: str) -> str:
    """``pmae_register_exporters(register: Callable[[Exporter], None]) -> None``, as written.

    hookspecs uses ``from __future__ import annotations``, so annotations are the source text.
    """
    signature = inspect.signature(getattr(hookspecs, name))
    parameters = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"{name}({parameters}) -> {signature.return_annotation}"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (\S+)\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("hook", HOOKS)
def test_plugin_hooks_are_documented(hook: str) -> None:
    sections = _sections((DOCS / "hooks.md").read_text(encoding="utf-8"))
    assert hook in sections, f"docs/plugins/hooks.md has no section '## {hook}'"
    blocks = [m["body"].strip() for m in FENCE.finditer(sections[hook])]
    assert blocks[0] == signature_of(hook)


def test_hooks_md_documents_only_real_hooks() -> None:
    sections = _sections((DOCS / "hooks.md").read_text(encoding="utf-8"))
    assert sorted(sections) == HOOKS


def test_signature_format() -> None:
    assert signature_of("pmae_register_exporters") == (
        "pmae_register_exporters(register: Callable[[Exporter], None]) -> None")


def test_plugin_docs_link_to_each_other() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in ("installing.md", "tutorial.md", "hooks.md", "lifecycle.md"):
        assert f"]({page})" in index
        assert (DOCS / page).is_file()


def _tutorial_blocks() -> list[str]:
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    return [m["body"] for m in FENCE.finditer(text) if m["lang"] == "python"]


@pytest.fixture
def tutorial_module() -> Iterator[types.ModuleType]:
    """The tutorial's plugin module, importable as ``pmae_occitanie`` during the test."""
    blocks = _tutorial_blocks()
    first_test = next(i for i, b in enumerate(blocks) if "def test_" in b)
    module = types.ModuleType("pmae_occitanie")
    module.__file__ = str(DOCS / "tutorial.md")
    sys.modules["pmae_occitanie"] = module
    try:
        exec(compile("\n\n".join(blocks[:first_test]), "tutorial.md (module)", "exec"),
             module.__dict__)
        yield module
    finally:
        del sys.modules["pmae_occitanie"]


def _tutorial_tests() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    blocks = _tutorial_blocks()
    first_test = next(i for i, b in enumerate(blocks) if "def test_" in b)
    source = "\n\n".join(blocks[first_test:])
    namespace["__source__"] = compile(source, "tutorial.md (tests)", "exec")
    return namespace


TUTORIAL_TESTS = ["test_registers_its_items", "test_exports_the_public_offers",
                  "test_options_and_warnings", "test_the_new_theme_is_valid",
                  "test_the_check_warns", "test_the_library_sees_the_plugin"]


def test_tutorial_has_these_tests() -> None:
    source = "\n".join(_tutorial_blocks())
    assert re.findall(r"^def (test_\w+)", source, flags=re.MULTILINE) == TUTORIAL_TESTS


@pytest.mark.parametrize("name", TUTORIAL_TESTS)
def test_tutorial_code_runs(name: str, tutorial_module: types.ModuleType,
                            request: pytest.FixtureRequest) -> None:
    namespace: dict[str, Any] = {}
    exec(_tutorial_tests()["__source__"], namespace)
    function = namespace[name]
    arguments = {p: request.getfixturevalue(p) for p in inspect.signature(function).parameters}
    function(**arguments)


def test_tutorial_plugin_is_a_valid_plugin(tutorial_module: types.ModuleType) -> None:
    from pmae.plugins import make_plugin_manager

    manager = make_plugin_manager(entry_points=False, strict=True,
                                  plugins=[tutorial_module])
    info = manager.infos["pmae_occitanie"]
    assert (info.status, info.hooks) == ("loaded", (
        "pmae_register_exporters", "pmae_register_vocabularies", "pmae_register_checks"))
    assert manager.vocabularies()["themes"].label("occitanie:tiers_lieux", "en") == (
        "Third places")
