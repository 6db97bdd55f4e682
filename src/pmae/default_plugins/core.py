"""The core vocabularies and the INSEE territories, registered like any plugin's."""

from __future__ import annotations

from collections.abc import Callable

from pmae.plugins.hookspecs import hookimpl
from pmae.plugins.items import TerritoryReferential
from pmae.territories import core_territories
from pmae.vocab import Vocabulary, core_vocabularies


@hookimpl
def pmae_register_vocabularies(register: Callable[[Vocabulary], None]) -> None:
    """The vocabularies pmae ships (stages, themes, actor types, size bands…)."""
    for vocabulary in core_vocabularies().values():
        register(vocabulary)


@hookimpl
def pmae_register_territories(register: Callable[[TerritoryReferential], None]) -> None:
    """Régions, départements and former régions of the INSEE Code officiel géographique."""
    register(TerritoryReferential(
        name="insee-cog", title="INSEE Code officiel géographique: régions et départements",
        base=core_territories(),
    ))
