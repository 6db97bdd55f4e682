"""The hooks a pmae plugin can implement, and :data:`HOOKS`, the one table that describes them.

Every hook takes a ``register`` callback, which the plugin calls once per item it adds. Hooks
may gain arguments in later versions, never lose one; an implementation may take fewer (pluggy's
rule). Each hook is declared once: :func:`_hook` reads its row of :data:`HOOKS` from it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable

import pluggy

from pmae.plugins.items import (
    Check,
    DiagnosticTool,
    Exporter,
    Importer,
    TerritoryReferential,
    VocabularyExtension,
)
from pmae.vocab import Vocabulary

hookspec = pluggy.HookspecMarker("pmae")
hookimpl = pluggy.HookimplMarker("pmae")

F = typing.TypeVar("F", bound=Callable[..., None])


class Hook(typing.NamedTuple):
    """One row of :data:`HOOKS`: the item types a hook's ``register`` takes, and their kind."""

    types: tuple[type, ...]
    kind: str


#: The one table of hooks: hook name -> item types -> kind, in the order pmae calls them.
HOOKS: dict[str, Hook] = {}


def _hook(kind: str) -> Callable[[F], F]:
    """Declare a hook: a pluggy hookspec, and its row of :data:`HOOKS` read from its signature."""

    def declare(spec: F) -> F:
        register = typing.get_type_hints(spec)["register"]  # Callable[[Item | Item], None]
        [item_type], _ = typing.get_args(register)
        HOOKS[spec.__name__] = Hook(typing.get_args(item_type) or (item_type,), kind)
        return hookspec(spec)

    return declare


@_hook("exporter")
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register exporters: formats a bundle can be written to (``pmae export --to NAME``).

    .. versionadded:: 0.1
    """


@_hook("importer")
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """Register importers: formats a bundle can be read from (``pmae import NAME``).

    .. versionadded:: 0.1
    """


@_hook("diagnostic")
def pmae_register_diagnostics(register: Callable[[DiagnosticTool], None]) -> None:
    """Register diagnostic tools (questionnaires and, optionally, custom scoring).

    .. versionadded:: 0.1
    """


@_hook("vocabulary")
def pmae_register_vocabularies(
    register: Callable[[Vocabulary | VocabularyExtension], None],
) -> None:
    """Register namespaced codes for open vocabularies (``occitanie:tiers_lieux``).

    .. versionadded:: 0.1
    """


@_hook("territories")
def pmae_register_territories(register: Callable[[TerritoryReferential], None]) -> None:
    """Register territory referentials: EPCI membership, bassins de vie, other levels.

    .. versionadded:: 0.1
    """


@_hook("check")
def pmae_register_checks(register: Callable[[Check], None]) -> None:
    """Register semantic checks run on every bundle after pmae's own.

    .. versionadded:: 0.1
    """
