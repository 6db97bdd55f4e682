"""How pmae calls what plugins registered: whatever the hook, a failure is the plugin's, named.

Every call into a plugin's code (an exporter's ``export``, an importer's ``read``, a diagnostic
tool's ``score``, a check) goes through :func:`plugin_call` or :func:`isolated_check`. What the
plugin raises — any exception, ``sys.exit()``, a ``KeyboardInterrupt`` that no signal sent —
becomes one :class:`PluginFailure` naming the plugin, its version and the item, which the
command line prints as one line (exit 1; ``PMAE_DEBUG=1`` shows the traceback). A check's
failure is one ``check-failed`` issue instead (an error with ``PMAE_STRICT_PLUGINS=1``), so
validation goes on and a check can never make an invalid bundle pass. The guarantees are
written down in docs/plugins/guarantees.md.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from pmae.issues import SEVERITIES, Issue
from pmae.plugins.hookspecs import HOOKS
from pmae.plugins.items import item_name

if TYPE_CHECKING:
    from pmae.io.checks import CheckContext
    from pmae.plugins.items import Check
    from pmae.plugins.registry import Registered, Registry

__all__ = ["PluginFailure", "PluginResultError", "describe_plugin", "from_signal",
           "isolated_check", "issue_refusal", "owner", "plugin_call", "refuse_result"]


class PluginFailure(RuntimeError):
    """A plugin's code failed while pmae called it: the message names the plugin, its version
    and the item, and says what went wrong; the plugin's own exception is the ``__cause__``.

    :param plugin: ``pmae-hsds 1.2.0`` (see :func:`owner`), or ``None`` for an item no loaded
        plugin registered (built by hand in a script or a test).
    :param outcome: what this means for the user's run (``nothing was written``).
    """

    def __init__(self, *, plugin: str | None, kind: str, item: str, problem: str,
                 outcome: str | None = None) -> None:
        self.plugin, self.kind, self.item, self.problem = plugin, kind, item, problem
        whose = f" of plugin {plugin}" if plugin else ""
        message = f"the {kind} {item!r}{whose} failed: {problem}"
        super().__init__(f"{message}; {outcome}" if outcome else message)


class PluginResultError(PluginFailure, TypeError):
    """A plugin's code returned (or yielded) something pmae cannot use: a failure of the
    plugin, and a ``TypeError`` as it was before there was a name for it."""


def owner(registry: Registry | None, item: object) -> str | None:
    """Who registered ``item``: ``pmae-hsds 1.2.0``, ``csv_tables (pmae 1.4.0)`` for a plugin
    whose distribution has another name, the bare name without a known version; ``None`` when
    no plugin of ``registry`` registered this very object."""
    if registry is None:
        return None
    for hook in HOOKS:
        for registered in registry.registered(hook):
            if registered.item is item:
                return describe_plugin(registry, registered.plugin)
    return None


def describe_plugin(registry: Registry, plugin: str) -> str:
    """``<name> <version>``, or ``<name> (<distribution> <version>)``, or ``<name>``."""
    info = registry.infos.get(plugin)
    if info is None or not info.version:
        return plugin
    if info.distribution and info.distribution != plugin:
        return f"{plugin} ({info.distribution} {info.version})"
    return f"{plugin} {info.version}"


def from_signal(error: BaseException) -> bool:
    """Whether ``error`` is the user stopping the run (Ctrl-C, SIGTERM), which must go through.

    pmae's command line raises its own ``KeyboardInterrupt`` subclasses, marked
    ``from_signal = True``, from its signal handlers: any other ``KeyboardInterrupt`` was
    raised by the plugin itself. Without pmae's handlers (a program using the library), a
    ``KeyboardInterrupt`` cannot be told apart from a real Ctrl-C, and stopping is the safe
    reading.
    """
    if not isinstance(error, KeyboardInterrupt):
        return False
    return bool(getattr(error, "from_signal", False)) or (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler)


def _problem(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"it called sys.exit({error.code!r})"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@contextlib.contextmanager
def plugin_call(registry: Registry | None, item: object, kind: str, *,
                passing: tuple[type[BaseException], ...] = (),
                outcome: str | None = None) -> Iterator[None]:
    """Run the ``with`` block's call into ``item``'s code; what it raises becomes a
    :class:`PluginFailure` naming ``item``'s plugin (found in ``registry``).

    :param kind: what ``item`` is, for the message (``exporter``, ``importer``, ``scoring
        function of diagnostic tool``).
    :param passing: exceptions that are part of the item's contract (an exporter's
        :class:`~pmae.plugins.ExportError`) and go through unchanged.
    :param outcome: what the failure means for the run, added to the message.

    ``MemoryError`` and real signals (:func:`from_signal`) go through: they are the machine's
    or the user's, not the plugin's.
    """
    try:
        yield
    except BaseException as error:
        if isinstance(error, (*passing, PluginFailure, MemoryError)) or from_signal(error):
            raise
        raise PluginFailure(plugin=owner(registry, item), kind=kind, item=item_name(item),
                            problem=_problem(error), outcome=outcome) from error


def refuse_result(registry: Registry | None, item: object, kind: str, problem: str,
                  outcome: str | None = None) -> PluginResultError:
    """The :class:`PluginResultError` for ``item`` returning something pmae cannot use."""
    return PluginResultError(plugin=owner(registry, item), kind=kind, item=item_name(item),
                             problem=problem, outcome=outcome)


def issue_refusal(value: object) -> str | None:
    """Why a plugin's ``value`` is not an issue pmae can report, or ``None`` if it is one."""
    if not isinstance(value, Issue):
        return f"it yielded a {type(value).__name__}, not a pmae.issues.Issue"
    if value.severity not in SEVERITIES:
        return (f"it yielded an issue of unknown severity {value.severity!r} (use "
                f"{', '.join(SEVERITIES)})")
    for field in ("code", "path", "message"):
        if not isinstance(getattr(value, field), str):
            return f"it yielded an issue whose {field} is not a string"
    return None


def isolated_check(registered: Registered[Check], *, plugin: str | None = None,
                   strict: bool = False) -> Callable[[Any, CheckContext], list[Issue]]:
    """A plugin check for the validation pipeline, which cannot break validation.

    The issues it yields before it fails are kept; its failure — an exception, ``sys.exit()``,
    a value that is not an :class:`~pmae.issues.Issue` or an issue of unknown severity — is
    one ``check-failed`` issue naming the check and ``plugin`` (``pmae-x 1.0``): a warning, an
    error when ``strict`` (``PMAE_STRICT_PLUGINS=1``).
    """
    whose = f" of plugin {plugin}" if plugin and plugin != registered.plugin else ""

    def run(bundle: Any, context: CheckContext) -> list[Issue]:
        found: list[Issue] = []
        try:
            for value in registered.item.check(bundle, context):
                problem = issue_refusal(value)
                if problem is not None:
                    break
                found.append(value)
            else:
                return found
        except BaseException as error:  # see from_signal: only the user stops a check
            if isinstance(error, MemoryError) or from_signal(error):
                raise
            problem = _problem(error)
        found.append(Issue(code="check-failed", severity="error" if strict else "warning",
                           message=f"check {registered.qualified_name}{whose} failed: {problem}"))
        return found

    return run
