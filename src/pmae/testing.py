"""pytest fixtures for writing and testing pmae plugins (a pytest plugin, like ``tox.pytest``).

Installed with pmae and enabled automatically (entry point ``pytest11``), so a plugin's own
tests can use them without a ``conftest.py``::

    from pmae.plugins import Exporter, hookimpl

    class MyPlugin:
        @hookimpl
        def pmae_register_exporters(self, register):
            register(Exporter(name="count", title="Record count", export=write_count))

    def test_my_exporter(pmae_register, pmae_small_bundle, pmae_export):
        info = pmae_register(MyPlugin())
        assert info.status == "loaded"
        path = pmae_export(pmae_small_bundle, "count")
        assert path.read_bytes() == b"..."

Fixtures:

- :func:`pmae_plugin_manager`: a fresh plugin manager per test, pmae's built-ins only;
- :func:`pmae_register`: register an in-test plugin on that manager, get its
  :class:`~pmae.plugins.PluginInfo`;
- :func:`pmae_session`: a :class:`~pmae.Session` over that manager (pmae's built-ins and the
  plugin under test), and the default session for the test, so ``pmae.validate_document(...)``
  and every function called without ``session=`` see the plugin;
- :func:`pmae_small_bundle`: a small, valid, hand-built bundle that exercises every visibility;
- :func:`pmae_sample_bundle`: the sample bundle shipped with pmae (several hundred records);
- :func:`pmae_export`: export a bundle through pmae's real core (audience filter, atomic
  output) into the test's ``tmp_path``;
- :func:`pmae_import`: read a file with an importer and validate the result, as
  ``pmae import`` does;
- :func:`pmae_check`: run one check on a bundle with the validation context
  (``pmae_session.check_context``: every vocabulary and territory of the plugins);
- :func:`pmae_diagnose`: score answers with a diagnostic tool, its own ``score`` function
  included.

An importer, a check and a diagnostic tool are tested the same way::

    def test_my_importer(pmae_register, pmae_import, tmp_path):
        pmae_register(MyPlugin())
        report = pmae_import(tmp_path / "offres.csv", "offres-occitanie")
        assert report.ok and len(report.bundle.offers) == 3

    def test_my_check(pmae_register, pmae_small_bundle, pmae_check):
        pmae_register(MyPlugin())
        assert [i.code for i in pmae_check(pmae_small_bundle, "siret")] == []

    def test_my_tool(pmae_register, pmae_diagnose):
        pmae_register(MyPlugin())
        assert pmae_diagnose("gestion-benevoles", {"q1": 3}).scores == {"benevoles": 75.0}

This module is imported when pytest starts, in every project of the environment: it imports
nothing of pmae until a fixture is used, so it costs nothing to tests that do not use it.

.. versionadded:: 0.1
"""

from __future__ import annotations

import inspect
import itertools
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

if TYPE_CHECKING:
    from pmae.diagnostics import Evaluation
    from pmae.io.pipeline import Report
    from pmae.issues import Issue
    from pmae.model import Bundle
    from pmae.plugins import PluginInfo, PluginManager
    from pmae.sessions import Session

__all__ = [
    "CheckHelper",
    "DiagnoseHelper",
    "ExportHelper",
    "ImportHelper",
    "RegisterHelper",
    "pmae_check",
    "pmae_diagnose",
    "pmae_export",
    "pmae_import",
    "pmae_plugin_manager",
    "pmae_register",
    "pmae_sample_bundle",
    "pmae_session",
    "pmae_small_bundle",
    "small_bundle",
]


class RegisterHelper(Protocol):
    """The type of the :func:`pmae_register` fixture."""

    def __call__(self, plugin: object, name: str | None = None) -> PluginInfo:
        """Register ``plugin`` (a class, an instance or a module) and return its info."""


class ExportHelper(Protocol):
    """The type of the :func:`pmae_export` fixture."""

    def __call__(self, bundle: Bundle, fmt: str, *, audience: str = "public",
                 options: Mapping[str, str] | None = None, lang: str = "fr") -> Path:
        """Export ``bundle`` with the exporter ``fmt``; return the file or folder written."""


class ImportHelper(Protocol):
    """The type of the :func:`pmae_import` fixture."""

    def __call__(self, path: str | os.PathLike[str], fmt: str, *,
                 options: Mapping[str, str] | None = None) -> Report:
        """Read ``path`` with the importer ``fmt``; return the validation report."""


class CheckHelper(Protocol):
    """The type of the :func:`pmae_check` fixture."""

    def __call__(self, bundle: Bundle, name: str) -> list[Issue]:
        """Run the check ``name`` (or ``<plugin>:<name>``) on ``bundle``; return its issues."""


class DiagnoseHelper(Protocol):
    """The type of the :func:`pmae_diagnose` fixture."""

    def __call__(self, tool: str, answers: Mapping[str, object]) -> Evaluation:
        """Score ``answers`` (question id -> answer) with the diagnostic tool ``tool``."""


@pytest.fixture
def pmae_plugin_manager() -> PluginManager:
    """A fresh :class:`~pmae.plugins.PluginManager` for this test: pmae's built-ins only.

    Installed plugins (entry points) are not loaded, so the test sees only what it registers,
    whatever else is installed. ``strict`` is off whatever ``PMAE_STRICT_PLUGINS`` says, so a
    broken in-test plugin is listed as failed (and warns) rather than raising: build your own
    manager with ``make_plugin_manager(entry_points=False, strict=True)`` to test strict mode.
    """
    from pmae.plugins import make_plugin_manager

    return make_plugin_manager(entry_points=False, strict=False)


@pytest.fixture
def pmae_register(pmae_plugin_manager: PluginManager) -> RegisterHelper:
    """A function that registers an in-test plugin on :func:`pmae_plugin_manager`.

    ``pmae_register(plugin, name=None)`` runs the plugin's hooks at once and returns its
    :class:`~pmae.plugins.PluginInfo`: ``status`` is ``"loaded"``, or ``"failed"`` with the
    ``reason`` (a :class:`~pmae.plugins.PluginWarning` is emitted too). A class is
    instantiated with no arguments, so its hook methods may take ``self``. The plugin's name is
    ``name``, else the class's or module's ``__name__``, else the instance's type name.
    """

    def register(plugin: object, name: str | None = None) -> PluginInfo:
        if inspect.isclass(plugin):
            # Hook methods written with ``self`` need an instance; the class names the plugin.
            name = name or plugin.__name__
            plugin = plugin()
        return pmae_plugin_manager.register(plugin, name=name)

    return register


@pytest.fixture
def pmae_session(pmae_plugin_manager: PluginManager) -> Iterator[Session]:
    """A :class:`~pmae.Session` with pmae's built-ins and the plugin under test.

    It is built over :func:`pmae_plugin_manager`, so a plugin registered with
    :func:`pmae_register` (before or after the session is first used) is part of it, and it is
    the default session during the test (:func:`pmae.sessions.use_session`): library calls
    without ``session=`` (``pmae.validate_document(...)``) use it too. Its date is today and
    its language French; derive others with ``pmae_session.evolve(as_of=..., lang=...)``.

    To test an *installed* distribution instead of an in-test plugin, override
    :func:`pmae_plugin_manager` in your ``conftest.py``::

        @pytest.fixture
        def pmae_plugin_manager():
            return make_plugin_manager(load=["pmae-occitanie"], strict=True)
    """
    from pmae.sessions import Session, use_session

    with use_session(Session(plugins=pmae_plugin_manager)) as chosen:
        yield chosen


@pytest.fixture
def pmae_sample_bundle() -> Bundle:
    """The sample bundle shipped with pmae (``pmae.sample.load_sample()``), validated.

    A few hundred records of every kind, with every visibility, contact persons and speakers.
    """
    from pmae.sample import load_sample

    return load_sample()


@pytest.fixture
def pmae_small_bundle() -> Bundle:
    """A small hand-built bundle, valid with no issue at all (see :func:`small_bundle`)."""
    return small_bundle()


@pytest.fixture
def pmae_export(pmae_plugin_manager: PluginManager, tmp_path: Path) -> ExportHelper:
    """A function that exports a bundle through pmae's core into ``tmp_path``.

    ``pmae_export(bundle, fmt, audience="public", options=None, lang="fr")`` calls
    :func:`pmae.exchange.export_bundle` with :func:`pmae_plugin_manager` (so exporters
    registered with :func:`pmae_register` are found), exactly as ``pmae export`` does: the
    exporter sees only what ``audience`` may see, and its output is written atomically. It
    returns the path written: a file ``export-<n><suffix>``, or a folder ``export-<n>`` for a
    ``directory`` exporter.
    """
    counter = itertools.count(1)

    def export(bundle: Bundle, fmt: str, *, audience: str = "public",
               options: Mapping[str, str] | None = None, lang: str = "fr") -> Path:
        from pmae.exchange import export_bundle

        exporter = pmae_plugin_manager.exporter(fmt)
        suffix = (exporter.suffix or "") if exporter.target == "file" else ""
        output = tmp_path / f"export-{next(counter)}{suffix}"
        export_bundle(bundle, fmt, output, audience=audience, options=options,
                      manager=pmae_plugin_manager, lang=lang)
        return output

    return export


@pytest.fixture
def pmae_import(pmae_session: Session) -> ImportHelper:
    """A function that reads a file with an importer and validates the result.

    ``pmae_import(path, fmt, options=None)`` calls :func:`pmae.exchange.import_file` with
    :func:`pmae_session`, exactly as ``pmae import FMT PATH`` does: the importer's own issues
    and the validation's, located in the source file by the importer's ``locate``, in one
    :class:`~pmae.io.pipeline.Report` (``report.ok``, ``report.issues``, ``report.bundle``).
    """

    def read(path: str | os.PathLike[str], fmt: str, *,
             options: Mapping[str, str] | None = None) -> Report:
        from pmae.exchange import import_file

        return import_file(fmt, path, options=options, session=pmae_session)

    return read


@pytest.fixture
def pmae_check(pmae_session: Session) -> CheckHelper:
    """A function that runs one check on a bundle, with the validation context.

    ``pmae_check(bundle, name)`` finds the check ``name`` (or ``<plugin>:<name>``) among those
    of :func:`pmae_session` and calls it with ``pmae_session.check_context``, the context
    validation gives it: every vocabulary and territory of pmae and the registered plugins.
    Unlike validation, which turns a failing check into one ``check-failed`` warning, the
    exception reaches the test, with its traceback; and each value the check yields must be an
    :class:`~pmae.issues.Issue` with one of the codes the check declares (``Check.codes``).
    """

    def run(bundle: Bundle, name: str) -> list[Issue]:
        from pmae.issues import Issue

        checks = [r for r in pmae_session.plugins.checks() if name in (r.name, r.qualified_name)]
        if len(checks) != 1:
            known = ", ".join(r.qualified_name for r in pmae_session.plugins.checks()) or "none"
            raise LookupError(f"{len(checks)} checks named {name!r}; known: {known}")
        check = checks[0].item
        issues = list(check.check(bundle, pmae_session.check_context))
        for issue in issues:
            assert isinstance(issue, Issue), f"check {name!r} yielded {issue!r}, not an Issue"
            assert not check.codes or issue.code in check.codes, (
                f"check {name!r} yielded the code {issue.code!r}, which it does not declare "
                f"(codes={check.codes!r})")
        return issues

    return run


@pytest.fixture
def pmae_diagnose(pmae_session: Session) -> DiagnoseHelper:
    """A function that scores answers with a diagnostic tool.

    ``pmae_diagnose(tool, answers)`` finds the tool by name in :func:`pmae_session`, checks
    its questionnaire against the session's vocabularies (a plugin's namespaced themes
    included) and scores ``answers`` as ``pmae diagnose TOOL --answers FILE`` does: with the
    tool's ``score`` function when it has one, else :func:`pmae.diagnostics.evaluate`. It
    returns the :class:`~pmae.diagnostics.Evaluation` (scores, levels, alerts, needs).
    """

    def diagnose(tool: str, answers: Mapping[str, object]) -> Evaluation:
        from pmae.diagnostics import Evaluation, evaluate, load_questionnaire

        item = pmae_session.diagnostic(tool)
        questionnaire = load_questionnaire(item.questionnaire,
                                           vocabularies=pmae_session.vocabularies)
        result = (item.score or evaluate)(questionnaire, answers)
        assert isinstance(result, Evaluation), (
            f"the score function of {tool!r} returned {type(result).__name__}, not an Evaluation")
        return result

    return diagnose


def small_bundle() -> Bundle:
    """A small bundle of source ``essai`` that exercises every audience of the filter, valid
    with no issue at all: :func:`pmae.sample.small_bundle`, where its records are listed."""
    from pmae.sample import small_bundle as build

    return build()
