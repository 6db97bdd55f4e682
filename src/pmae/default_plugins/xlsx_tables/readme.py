"""The "Lisez-moi" sheet: what the workbook is, how to edit it, each sheet and column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from pmae.default_plugins.csv_tables.labels import TABLE_DESCRIPTIONS, column_label, table_name
from pmae.default_plugins.csv_tables.layout import layout
from pmae.default_plugins.xlsx_tables.lists import LISTS_SHEET, ListColumn, list_of
from pmae.model import Bundle

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

#: The first sheet.
README_SHEET: Final = "Lisez-moi"

_INTRODUCTION: Final = (
    "Chaque feuille est une table du lot : une ligne par enregistrement, une colonne par "
    "champ. La première ligne (figée) nomme les colonnes ; ne la modifiez pas.",
    "Ne changez pas la colonne « Identifiant » d'une ligne existante : c'est elle qui relie "
    "les feuilles entre elles (par exemple une offre à son acteur) et qui permet de mettre à "
    "jour le lot. Pour un nouvel enregistrement, donnez un identifiant nouveau, "
    "« source:local » (lma-ra:offre-101).",
    "Plusieurs valeurs dans une cellule : séparez-les par « | » (dep:38 | dep:69).",
    "Dates : jj/mm/aaaa (01/09/2025). Dates et heures : avec le fuseau, "
    "2025-09-01T14:30:00+02:00.",
    "Une cellule vide n'a pas de valeur. Pour un texte vide, écrivez ' seul.",
    "Listes déroulantes : les colonnes de codes (thèmes, étapes, territoires, visibilité…) "
    f"proposent leurs valeurs ; la feuille masquée « {LISTS_SHEET} » les donne avec leur "
    "libellé (clic droit sur un onglet > Afficher). Les colonnes qui désignent un "
    "enregistrement (l'acteur d'une offre, l'association d'un besoin) proposent les "
    "identifiants de sa feuille.",
    "Les colonnes de texte (SIREN, SIRET, codes) sont au format Texte : les zéros en tête "
    "et les longs numéros sont gardés.",
    "Pour revenir au lot : pmae import xlsx CLASSEUR.xlsx -o lot.json. Un classeur qui n'a "
    "que certaines feuilles (par exemple « offers » seule) met à jour ces tables d'un lot "
    "existant : pmae import xlsx offres.xlsx -o lot-existant.json.",
    "pmae signale ce qu'il corrige (une date 01/09/2025, un zéro perdu dans dep:1) et refuse "
    "ce qu'il ne peut pas deviner (un SIREN devenu 5,38237E+08), avec la feuille, la ligne et "
    "la colonne.",
)


_AUDIENCES: Final = {
    "all": "tout le lot",
    "network": "ce que voit le réseau (sans les enregistrements restreints ou privés)",
    "public": "ce qui peut être publié seulement (sans données personnelles ni "
              "enregistrements réservés au réseau)",
}


def write_readme(sheet: Worksheet, bundle: Bundle, lists: Mapping[str, ListColumn],
                 audience: str) -> None:
    """Fill the "Lisez-moi" sheet; ``audience`` is the one the bundle was filtered for."""
    from openpyxl.styles import Alignment, Font

    sheet.append([f"Lot de données pmae : {bundle.source.name}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Produit le {bundle.generated_at:%d/%m/%Y à %H:%M} "
                  f"(format {bundle.format_version})."])
    shown = _AUDIENCES.get(audience, f"ce que voit le destinataire {audience}")
    sheet.append([f"Contenu (audience « {audience} ») : {shown}."])
    for paragraph in _INTRODUCTION:
        sheet.append([paragraph])
    sheet.append([])
    heading = ["Feuille", "Colonne", "Nom technique", "Contenu", "Liste déroulante"]
    sheet.append(heading)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for table in layout():
        sheet.append([table_name(table), "", "", TABLE_DESCRIPTIONS[table_name(table)], ""])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        columns = {column.name: column for column in table.columns}
        for name in table.header():
            label, meaning = column_label(table, name)
            column = columns.get(name)
            listed = list_of(table, column) if column is not None else None
            shown = lists[listed].title if listed is not None and listed in lists else ""
            sheet.append(["", label, name, meaning, shown])
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (24, 28, 22, 70, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    # The introduction reads across the columns.
    for row in range(4, 4 + len(_INTRODUCTION)):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        sheet.row_dimensions[row].height = 45
