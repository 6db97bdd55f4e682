"""The drop-down lists of the XLSX tables: which columns take a vocabulary's codes or a
territory, and the hidden ``listes`` sheet they point into."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from pmae.default_plugins.csv_tables.labels import table_name
from pmae.default_plugins.csv_tables.layout import Column, Table
from pmae.io.check_tables import REFERENCE_FIELDS, VOCABULARY_FIELDS
from pmae.territories import Territories
from pmae.vocab import Vocabulary

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

#: The hidden sheet of the lists.
LISTS_SHEET: Final = "listes"
#: The list of the territories (régions, départements) in :data:`LISTS_SHEET`.
TERRITORY_LIST: Final = "territoires"
#: Vocabularies named by a column's shared definition rather than by its field.
_BY_DEFINITION: Final = {"visibility": "visibility", "stage": "stages",
                         "size_band": "size_bands"}
#: Vocabularies of the fields of nested tables (``meeting_workshops.themes``).
_NESTED: Final = {"themes": "themes"}
#: The collections the fields of nested tables point to (``meeting_speakers.actor``).
_NESTED_REFERENCES: Final = {"actor": "actors", "facilitators": "actors"}


def list_of(table: Table, column: Column) -> str | None:
    """The name of the list ``column`` takes its values from: a vocabulary id, or
    :data:`TERRITORY_LIST`; ``None`` when it has none."""
    if column.definition == "territory":
        return TERRITORY_LIST
    if column.definition in _BY_DEFINITION:
        return _BY_DEFINITION[str(column.definition)]
    if table.shape == "records" and table.collection is not None:
        return dict(VOCABULARY_FIELDS.get(table.collection, ())).get(column.keys[0])
    if table.shape == "items" and len(column.keys) == 1:
        return _NESTED.get(column.keys[0])
    return None


@attrs.define(kw_only=True, frozen=True)
class ListColumn:
    """One list of the ``listes`` sheet: its name, its range, whether it is closed."""

    name: str
    title: str
    reference: str
    closed: bool


def write_lists(sheet: Worksheet, names: list[str], vocabularies: Mapping[str, Vocabulary],
                territories: Territories | None) -> dict[str, ListColumn]:
    """Fill ``sheet`` with the lists ``names``, two columns each (code, French label); the
    drop-down lists point at the codes."""
    from openpyxl.utils import get_column_letter

    lists: dict[str, ListColumn] = {}
    for name in names:
        entries, title, closed = _entries(name, vocabularies, territories)
        if not entries:
            continue
        position = 2 * len(lists) + 1
        sheet.cell(row=1, column=position, value=name)
        sheet.cell(row=1, column=position + 1, value=title)
        for row, (code, label) in enumerate(entries, start=2):
            sheet.cell(row=row, column=position, value=code).data_type = "s"
            sheet.cell(row=row, column=position + 1, value=label).data_type = "s"
        letter = get_column_letter(position)
        lists[name] = ListColumn(
            name=name, title=title, closed=closed,
            reference=f"{LISTS_SHEET}!${letter}$2:${letter}${len(entries) + 1}")
    return lists


def _entries(name: str, vocabularies: Mapping[str, Vocabulary],
             territories: Territories | None) -> tuple[list[tuple[str, str]], str, bool]:
    if name == TERRITORY_LIST:
        if territories is None:
            return [], "", False
        codes = ["fr", *territories.regions(), *territories.departements("fr")]
        return ([(code, territories.name(code) or code) for code in codes],
                "Territoires (France, régions, départements)", False)
    vocabulary = vocabularies.get(name)
    if vocabulary is None:
        return [], "", False
    return ([(term.code, vocabulary.label(term.code, "fr")) for term in vocabulary.terms],
            vocabulary.title_fr, not vocabulary.open)


def validation(list_column: ListColumn, column: Column, *, rows: str) -> Any:
    """The data validation of a column: a drop-down list of ``list_column``'s codes.

    A closed vocabulary refuses other values in a single-valued column; an open one warns
    (plugins add namespaced codes); a list column (``a | b``) takes any text, the drop-down
    being a help for its first value.
    """
    from openpyxl.worksheet.datavalidation import DataValidation

    strict = list_column.closed and not column.is_list
    check = DataValidation(
        type="list", formula1=list_column.reference, allow_blank=True, sqref=rows,
        showErrorMessage=not column.is_list, errorStyle="stop" if strict else "warning",
        errorTitle="Valeur hors liste",
        error=("Choisissez une valeur de la liste." if strict else
               "Cette valeur n'est pas dans la liste : la garder quand même ?"),
        showInputMessage=True, promptTitle=list_column.title[:32],
        prompt=("Plusieurs valeurs : séparez-les par « | »." if column.is_list
                else "Choisissez dans la liste."))
    return check


def reference_of(table: Table, column: Column) -> str | None:
    """The collection whose ids ``column`` holds (``offers.actor``: ``actors``), when it
    points to one collection only."""
    if table.shape == "records" and table.collection is not None:
        targets = dict(REFERENCE_FIELDS.get(table.collection, ())).get(column.keys[0], ())
        return targets[0] if len(targets) == 1 else None
    if table.shape == "items" and len(column.keys) == 1:
        return _NESTED_REFERENCES.get(column.keys[0])
    return None


def id_validation(sheet: str, column: Column, *, rows: str, last_row: int) -> Any:
    """A drop-down list of the ids of the records of ``sheet`` (its first column), rows added
    there included; any other value only warns (it may be a record of another bundle)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        type="list", formula1=f"{sheet}!$A$2:$A${last_row}", allow_blank=True, sqref=rows,
        showErrorMessage=not column.is_list, errorStyle="warning",
        errorTitle="Identifiant inconnu",
        error=f"Cet identifiant n'est pas dans la feuille {sheet} : le garder quand même ?",
        showInputMessage=True, promptTitle=f"Identifiant ({sheet})"[:32],
        prompt=(f"Identifiants de la feuille {sheet}, séparés par « | »." if column.is_list
                else f"Choisissez un identifiant de la feuille {sheet}."))


def sheet_of(table: Table) -> str:
    """The sheet of ``table``."""
    return table_name(table)
