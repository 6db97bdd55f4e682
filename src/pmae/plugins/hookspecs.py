"""The hooks a pmae plugin can implement.

Every hook takes a ``register`` callback and nothing else: a plugin calls ``register`` once per
item it adds. New arguments may be added to a hook in later versions, never removed; a plugin's
implementation may accept fewer arguments than the specification (pluggy's rule), so existing
plugins keep working.
"""

from __future__ import annotations

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

hookspec = pluggy.HookspecMarker("pmae")
hookimpl = pluggy.HookimplMarker("pmae")


@hookspec
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register exporters: formats a bundle can be written to (``pmae export --to NAME``).

    :param register: call it with one :class:`~pmae.plugins.Exporter` per format.

    .. versionadded:: 0.1
    """


@hookspec
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """Register importers: formats a bundle can be read from (``pmae import NAME``).

    :param register: call it with one :class:`~pmae.plugins.Importer` per format.

    .. versionadded:: 0.1
    """


@hookspec
def pmae_register_diagnostics(register: Callable[[DiagnosticTool], None]) -> None:
    """Register diagnostic tools (questionnaires and, optionally, custom scoring).

    :param register: call it with one :class:`~pmae.plugins.DiagnosticTool` per tool.

    .. versionadded:: 0.1
    """


@hookspec
def pmae_register_vocabularies(register: Callable[[VocabularyExtension], None]) -> None:
    """Register namespaced codes for open vocabularies (``occitanie:tiers_lieux``).

    :param register: call it with one :class:`~pmae.plugins.VocabularyExtension` per
        vocabulary extended.

    .. versionadded:: 0.1
    """


@hookspec
def pmae_register_territories(register: Callable[[TerritoryReferential], None]) -> None:
    """Register territory referentials: EPCI membership, bassins de vie, other levels.

    :param register: call it with one :class:`~pmae.plugins.TerritoryReferential` per level.

    .. versionadded:: 0.1
    """


@hookspec
def pmae_register_checks(register: Callable[[Check], None]) -> None:
    """Register semantic checks run on every bundle after pmae's own.

    :param register: call it with one :class:`~pmae.plugins.Check` per check.

    .. versionadded:: 0.1
    """
