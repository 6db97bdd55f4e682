"""The four reference diagnostic tools pmae ships, in its own wording.

Each tool is one questionnaire file in ``pmae/diagnostics/tools/`` (the format of
docs/diagnostics.md): the shared diagnosis, governance, economic early warning and the employer
function. This plugin only reads them and registers them; scoring is the standard engine's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.resources import files

from pmae.plugins.hookspecs import hookimpl
from pmae.plugins.items import DiagnosticTool
from pmae.plugins.types import QuestionnaireData

#: The reference tools, by id (also their file name, ``<id>.json``), in presentation order.
REFERENCE_TOOLS: tuple[str, ...] = (
    "diagnostic-partage",
    "gouvernance",
    "vigilance-economique",
    "fonction-employeur",
)


def reference_questionnaire(tool_id: str) -> QuestionnaireData:
    """The questionnaire document of reference tool ``tool_id``, as read from its file.

    :raises KeyError: if ``tool_id`` is not one of :data:`REFERENCE_TOOLS`.
    """
    if tool_id not in REFERENCE_TOOLS:
        raise KeyError(f"no reference diagnostic tool {tool_id!r}")
    # Read through the ``pmae`` package so this works from a wheel or a zip as well.
    resource = files("pmae") / "diagnostics" / "tools" / f"{tool_id}.json"
    data: QuestionnaireData = json.loads(resource.read_text(encoding="utf-8"))
    return data


@hookimpl
def pmae_register_diagnostics(register: Callable[[DiagnosticTool], None]) -> None:
    """``diagnostic-partage``, ``gouvernance``, ``vigilance-economique``, ``fonction-employeur``."""
    for tool_id in REFERENCE_TOOLS:
        data = reference_questionnaire(tool_id)
        register(DiagnosticTool(
            name=data["id"],
            title=data["title"]["fr"],
            version=data["version"],
            questionnaire=data,
            description=data.get("description", {}).get("fr", ""),
        ))
