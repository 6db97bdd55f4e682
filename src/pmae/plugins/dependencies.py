"""What a plugin's items need from the others: codes and territories that must be defined.

A questionnaire may use a theme or an actor type another plugin defines
(``occitanie:tiers_lieux``), and a vocabulary extension may apply to a territory another plugin
adds: neither can be checked while one plugin is registered, since plugins load one at a time
in name order. :func:`unmet` checks them once every plugin is loaded (and for each plugin
registered after that), so that a missing code fails the plugin that needs it at load time,
naming the tool, the plugin and the code, and not later in a user's run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmae.plugins.items import DiagnosticTool, VocabularyExtension

if TYPE_CHECKING:
    from pmae.plugins.registry import Registry


def unmet(registry: Registry, plugin: str) -> str | None:
    """Why an item of ``plugin`` needs what no loaded plugin defines, or ``None``."""
    # Imported here: pmae.diagnostics sits beside pmae.plugins and imports nothing of it.
    from pmae.diagnostics import parse_questionnaire

    vocabularies = territories = None
    for hook_items in registry.items_of(plugin).values():
        for registered in hook_items:
            item = registered.item
            if isinstance(item, VocabularyExtension) and item.territories:
                territories = territories or registry.territories()
                unknown = [code for code in item.territories if not territories.exists(code)]
                if unknown:
                    return (f"vocabulary extension {item.name} applies to {unknown[0]!r}, "
                            "which is not a known territory")
            if isinstance(item, DiagnosticTool):
                vocabularies = vocabularies or registry.vocabularies()
                _, issues = parse_questionnaire(item.questionnaire, vocabularies=vocabularies)
                missing = [i for i in issues if i.code == "unknown-code"]
                if missing:
                    return (f"diagnostic tool {item.name!r}: its questionnaire uses a code no "
                            f"loaded plugin defines: {missing[0].path}: {missing[0].message}")
    return None
