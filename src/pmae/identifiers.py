"""French identifiers of organisations: SIREN, SIRET (Luhn check digit) and RNA numbers.

Written once here for the semantic checks, the synthetic data and the tests. Bottom layer:
imports nothing from pmae.
"""

from __future__ import annotations

import re
from typing import Final

#: La Poste's SIREN: its establishments' SIRETs follow their own rule, not Luhn's.
LA_POSTE_SIREN: Final = "356000000"

#: An RNA number: ``W``, the prefecture's code (2 characters), a 7-digit serial (the schema's
#: ``rna`` pattern, ``schemas/common.schema.json``).
RNA_PATTERN: Final = re.compile(r"^W[0-9][0-9AB][0-9]{7}$")


def _luhn_total(digits: str, double_even: bool) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if (position % 2 == 0) == double_even:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total


def luhn_ok(digits: str) -> bool:
    """The Luhn check used by SIREN and SIRET numbers."""
    return _luhn_total(digits, double_even=False) % 10 == 0


def luhn_check_digit(digits: str) -> str:
    """The digit that makes ``digits + it`` pass the Luhn check."""
    # Doubled are the digits at odd positions once the check digit is added, even ones before.
    return str((10 - _luhn_total(digits, double_even=True) % 10) % 10)


def siren_ok(siren: str) -> bool:
    """SIREN check digit (Luhn)."""
    return luhn_ok(siren)


def siret_ok(siret: str) -> bool:
    """SIRET check digit; La Poste's establishments (SIREN 356000000) follow their own rule."""
    if siret.startswith(LA_POSTE_SIREN) and siret != "35600000000048":
        return sum(ord(c) - 48 for c in siret) % 5 == 0
    return luhn_ok(siret)


def rna_ok(rna: str) -> bool:
    """Whether ``rna`` is written as an RNA number (``W691012345``)."""
    return RNA_PATTERN.fullmatch(rna) is not None
