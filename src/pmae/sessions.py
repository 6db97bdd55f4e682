"""The session: what a run of pmae depends on, in one object.

A :class:`Session` holds the plugin manager (loaded with the same environment controls as the
command line: ``PMAE_LOAD_PLUGINS``, ``PMAE_DISABLE_PLUGINS``, ``PMAE_STRICT_PLUGINS``), the
vocabularies, territories and checks the plugins yield, the reference date ("as of") and the
language. Every public function that depends on vocabularies, territories, checks or plugins
takes ``session=`` and uses :func:`session` (the process's default) when it is not given, so the
library and the command line give the same answers::

    import pmae

    session = pmae.session()                       # plugin-aware, as `pmae` runs
    report = session.validate_file("bundle.json")
    quiet = pmae.make_session(load=[], as_of="2025-06-30", lang="en")  # core only, fixed date

The module is called ``sessions`` so that ``pmae.session`` stays the function.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from pmae.io.checks import Check, CheckContext
    from pmae.io.pipeline import Report
    from pmae.model import Actor, Association, Bundle, Need, Offer
    from pmae.plugins.items import DiagnosticTool, Exporter, Importer
    from pmae.plugins.manager import PluginManager
    from pmae.store import Store
    from pmae.territories import Territories
    from pmae.vocab import Vocabulary

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")

__all__ = [
    "LANGS",
    "Lang",
    "Session",
    "load_bundle",
    "make_session",
    "reset_default_session",
    "session",
    "use_session",
    "validate_bundle",
    "validate_document",
    "validate_file",
]


def _as_date(value: dt.date | str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"as_of: {value!r} is not an ISO date (YYYY-MM-DD)") from None
    raise TypeError(f"as_of: expected a date or an ISO string, got {type(value).__name__}")


def _as_lang(value: str) -> Lang:
    if value not in LANGS:
        raise ValueError(f"lang: {value!r} is not one of {', '.join(LANGS)}")
    return value


@attrs.define(kw_only=True, frozen=True, eq=False)
class Session:
    """The plugin manager and what it yields, the reference date and the language.

    Build one with :func:`make_session` (or take the default with :func:`session`); derive a
    variant with :meth:`evolve` (``session.evolve(lang="en", as_of="2025-06-30")``), which
    shares the plugins already loaded.

    A session may carry a store (``session.evolve(store=open_store("pmae.db"))``): its
    listings are then :meth:`offers`, :meth:`actors`, :meth:`associations` and :meth:`needs`,
    with this session's territories. The session only refers to the store: whoever opened it
    closes it (a ``with open_store(...)`` block), since a session is shared and frozen and
    outlives no connection it did not open.
    """

    plugins: PluginManager
    #: The reference date of every "in force", "expired", "this year" question.
    as_of: dt.date = attrs.field(factory=dt.date.today, converter=_as_date)
    #: The language of labels and wording: ``fr`` or ``en``.
    lang: Lang = attrs.field(default="fr", converter=_as_lang)
    #: The store listings read (see :mod:`pmae.store`), or ``None``; opened and closed by the
    #: caller, never by the session.
    store: Store | None = None
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)

    def evolve(self, **changes: Any) -> Session:
        """A copy with other ``as_of``, ``lang`` or ``store`` (or plugins), sharing what was
        loaded."""
        copy = attrs.evolve(self, **changes)
        if "plugins" not in changes:
            copy._cache.update(self._cache)
        return copy

    def _cached(self, key: str, compute: Any) -> Any:
        # A plugin registered on the manager since (pmae.testing's pmae_register) makes what
        # was computed stale: the manager's generation says so.
        generation = self.plugins.generation
        if self._cache.get("generation") != generation:
            self._cache.clear()
            self._cache["generation"] = generation
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # -- what the plugins yield ----------------------------------------------------------------
    @property
    def vocabularies(self) -> Mapping[str, Vocabulary]:
        """Every vocabulary, the core's and the plugins' (with their extensions)."""
        result: Mapping[str, Vocabulary] = self._cached("vocabularies",
                                                         self.plugins.vocabularies)
        return result

    def vocabulary(self, id: str) -> Vocabulary:
        """One vocabulary by id; ``KeyError`` naming the known ones."""
        try:
            return self.vocabularies[id]
        except KeyError:
            known = ", ".join(sorted(self.vocabularies))
            raise KeyError(f"no vocabulary {id!r}; known: {known}") from None

    @property
    def territories(self) -> Territories:
        """The territories: INSEE régions and départements, then the plugins' referentials."""
        result: Territories = self._cached("territories", self.plugins.territories)
        return result

    @property
    def check_context(self) -> CheckContext:
        """What bundles are checked against (layer 3)."""
        from pmae.io.checks import CheckContext

        result: CheckContext = self._cached("check_context", lambda: CheckContext(
            vocabularies=self.vocabularies, territories=self.territories))
        return result

    @property
    def checks(self) -> list[Check]:
        """The plugins' checks, each isolated (a failing check is a warning, not a crash)."""
        result: list[Check] = self._cached("checks", self.plugins.check_functions)
        return list(result)

    def exporter(self, name: str) -> Exporter:
        """The exporter called ``name`` (or ``<plugin>:<name>``)."""
        return self.plugins.exporter(name)

    def importer(self, name: str) -> Importer:
        """The importer called ``name`` (or ``<plugin>:<name>``)."""
        return self.plugins.importer(name)

    def diagnostic(self, name: str) -> DiagnosticTool:
        """The diagnostic tool called ``name`` (or ``<plugin>:<name>``)."""
        return self.plugins.diagnostic(name)

    # -- the store's listings ------------------------------------------------------------------
    def _store(self) -> Store:
        if self.store is None:
            raise ValueError("this session has no store: session.evolve(store=open_store(PATH))")
        return self.store

    def offers(self, **filters: Any) -> tuple[Offer, ...]:
        """The offers of the session's store passing every filter (``theme``, ``stage``,
        ``territory``, ``type``, ``text``, ``audience``, ``limit``): see
        :meth:`pmae.store.Store.offers`; territories are this session's."""
        return self._store().offers(session=self, **filters)

    def actors(self, **filters: Any) -> tuple[Actor, ...]:
        """The actors of the session's store passing every filter: see
        :meth:`pmae.store.Store.actors`."""
        return self._store().actors(session=self, **filters)

    def associations(self, **filters: Any) -> tuple[Association, ...]:
        """The associations of the session's store passing every filter: see
        :meth:`pmae.store.Store.associations`."""
        return self._store().associations(session=self, **filters)

    def needs(self, **filters: Any) -> tuple[Need, ...]:
        """The needs of the session's store passing every filter: see
        :meth:`pmae.store.Store.needs`."""
        return self._store().needs(session=self, **filters)

    # -- validation ----------------------------------------------------------------------------
    def validate_file(self, path: str | os.PathLike[str], *, fast: bool = True,
                      semantic: bool = True, context: CheckContext | None = None,
                      extra_checks: Iterable[Check] = ()) -> Report:
        """Read and validate a bundle file (JSON or JSON Lines) with this session's plugins.

        :param context: check against these vocabularies and territories instead.
        :param extra_checks: run these checks after the plugins' ones.
        """
        from pmae.io.pipeline import validate_file

        return validate_file(path, context=context or self.check_context,
                             extra_checks=[*self.checks, *extra_checks], fast=fast,
                             semantic=semantic)

    def validate_document(self, document: Any, *, file: str | None = None, fast: bool = True,
                          semantic: bool = True, context: CheckContext | None = None,
                          extra_checks: Iterable[Check] = ()) -> Report:
        """Validate parsed data (a :class:`~pmae.io.files.Document` or a plain dict)."""
        from pmae.io.pipeline import validate_document

        return validate_document(document, file=file, context=context or self.check_context,
                                 extra_checks=[*self.checks, *extra_checks], fast=fast,
                                 semantic=semantic)

    def validate_bundle(self, bundle: Bundle, *, file: str | None = None) -> Report:
        """Validate a :class:`~pmae.model.Bundle` held in memory, as if it were read from a file.

        The bundle is written to its JSON form first, so every layer runs (schema, model,
        semantic and plugin checks) and issues carry JSON paths (``$.offers[3].themes[0]``).
        """
        from pmae.io.bundles import bundle_to_data

        return self.validate_document(bundle_to_data(bundle), file=file)

    def load_bundle(self, path: str | os.PathLike[str], *, context: CheckContext | None = None,
                    extra_checks: Iterable[Check] = ()) -> Bundle:
        """Read, validate and return a bundle; :class:`~pmae.InvalidBundleError` on any error."""
        from pmae.io.pipeline import InvalidBundleError

        report = self.validate_file(path, context=context, extra_checks=extra_checks)
        if not report.ok or report.bundle is None:
            raise InvalidBundleError(report.issues)
        return report.bundle


def make_session(
    *,
    load: Iterable[str] | None = None,
    disable: Iterable[str] = (),
    strict: bool | None = None,
    entry_points: bool = True,
    plugins: Iterable[object] = (),
    as_of: dt.date | str | None = None,
    lang: str = "fr",
) -> Session:
    """A new session with its own plugin manager.

    :param load: only these installed plugins (entry-point names); ``None`` for every one, as
        ``PMAE_LOAD_PLUGINS`` says when it is set; ``[]`` for pmae's built-ins alone.
    :param disable: never these (added to ``PMAE_DISABLE_PLUGINS``).
    :param strict: a broken plugin raises :class:`~pmae.plugins.PluginError` instead of being
        skipped with a warning (default: ``PMAE_STRICT_PLUGINS=1``).
    :param entry_points: discover installed plugins at all.
    :param plugins: extra plugin objects (modules, classes, instances) to register.
    :param as_of: the reference date (a date or ISO string); today when not given.
    :param lang: ``fr`` (default) or ``en``.
    """
    from pmae.plugins.manager import make_plugin_manager

    manager = make_plugin_manager(load=load, disable=disable, strict=strict,
                                  entry_points=entry_points, plugins=plugins)
    return Session(plugins=manager, as_of=_as_date(as_of), lang=_as_lang(lang))


#: The sessions :func:`use_session` put in place, innermost last; the cached default session.
_chosen: list[Session] = []
_cached_default: list[Session] = []


def _default() -> Session:
    if _chosen:
        return _chosen[-1]
    from pmae.plugins.manager import get_plugin_manager

    # Follows the process-wide manager (one per value of the PMAE_*_PLUGINS variables), so a
    # change of those variables, or get_plugin_manager.cache_clear(), gives a new default.
    manager = get_plugin_manager()
    if not _cached_default or _cached_default[0].plugins is not manager:
        _cached_default[:] = [Session(plugins=manager)]
    return _cached_default[0]


def session(session: Session | None = None) -> Session:
    """The session to use: ``session`` when given, else the process's default one.

    The default loads the installed plugins once for each value of the ``PMAE_*_PLUGINS``
    variables, as the command line does; its reference date is today, its language French;
    inside ``with use_session(s):`` it is ``s``. Functions that take ``session=`` call this, so
    ``session=None`` always means the plugin-aware default, never the core alone.
    """
    return session if session is not None else _default()


@contextlib.contextmanager
def use_session(chosen: Session) -> Iterator[Session]:
    """Make ``chosen`` the default session inside the ``with`` block (nested blocks stack).

    For tests and embedding programs that want every ``session=None`` call to use a session
    they built (their own plugins, a fixed date)::

        with pmae.sessions.use_session(pmae.make_session(load=[], as_of="2025-06-30")):
            report = pmae.validate_file("bundle.json")   # pmae's built-ins only

    It changes what :func:`session` returns, not the plugin manager that code still calling
    :func:`pmae.plugins.get_plugin_manager` gets.
    """
    _chosen.append(chosen)
    try:
        yield chosen
    finally:
        _chosen.pop()


def reset_default_session() -> None:
    """Forget the default session and the process-wide plugin manager.

    The next :func:`session` loads the installed plugins again, reading ``PMAE_LOAD_PLUGINS``,
    ``PMAE_DISABLE_PLUGINS`` and ``PMAE_STRICT_PLUGINS`` afresh: for tests that change them.
    """
    from pmae.plugins.manager import get_plugin_manager

    get_plugin_manager.cache_clear()  # type: ignore[attr-defined]  # set by pmae.plugins.manager
    _cached_default.clear()


# -- the front door's functions: the default session's methods, with ``session=`` -------------
def validate_file(path: str | os.PathLike[str], *, session: Session | None = None,
                  context: CheckContext | None = None, extra_checks: Iterable[Check] = (),
                  fast: bool = True, semantic: bool = True) -> Report:
    """Read and validate a bundle file; see :meth:`Session.validate_file`."""
    return (session or _default()).validate_file(
        path, context=context, extra_checks=extra_checks, fast=fast, semantic=semantic)


def validate_document(document: Any, *, file: str | None = None,
                      session: Session | None = None, context: CheckContext | None = None,
                      extra_checks: Iterable[Check] = (), fast: bool = True,
                      semantic: bool = True) -> Report:
    """Validate parsed data; see :meth:`Session.validate_document`."""
    return (session or _default()).validate_document(
        document, file=file, context=context, extra_checks=extra_checks, fast=fast,
        semantic=semantic)


def validate_bundle(bundle: Bundle, *, session: Session | None = None,
                    file: str | None = None) -> Report:
    """Validate a bundle held in memory; see :meth:`Session.validate_bundle`."""
    return (session or _default()).validate_bundle(bundle, file=file)


def load_bundle(path: str | os.PathLike[str], *, session: Session | None = None,
                context: CheckContext | None = None,
                extra_checks: Iterable[Check] = ()) -> Bundle:
    """Read, validate and return a bundle; see :meth:`Session.load_bundle`."""
    return (session or _default()).load_bundle(path, context=context,
                                                     extra_checks=extra_checks)
