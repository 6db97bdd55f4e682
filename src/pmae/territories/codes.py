"""Territory codes: their form (``<level>:<local>``), parsing, and the error they raise."""

from __future__ import annotations

import re
from typing import Literal

import attrs

from pmae.i18n import gettext as _

#: The built-in levels, from the largest to the smallest.
LEVELS: tuple[str, ...] = ("fr", "reg", "dep", "epci", "com")

#: Matches every well-formed territory code: ``fr`` or ``<level>:<local>``. Levels other than the
#: built-in ones are allowed because plugins add levels; whether a code exists is another matter.
#: Anchored, so that it can be used as is in a JSON Schema ``pattern``.
TERRITORY_PATTERN = r"^(?:fr|[a-z][a-z0-9_]*:[0-9A-Za-z]+)$"

TerritoryErrorCode = Literal[
    "ambiguous-territory", "malformed-territory", "unknown-territory", "unknown-commune"]

_TERRITORY_RE = re.compile(TERRITORY_PATTERN)
# The form of the local part of each built-in level (the COG's own rules).
_LOCAL_FORMS: dict[str, re.Pattern[str]] = {
    "reg": re.compile(r"[0-9]{2}"),
    "dep": re.compile(r"[0-9]{2}|2[AB]|97[0-9]"),
    "epci": re.compile(r"[0-9]{9}"),
    "com": re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{3}"),
}
_BARE_CODE = re.compile(r"[0-9][0-9AB]*")
#: Levels whose entries are fixed by the shipped data: referentials cannot add to them.
BUILT_IN_ONLY = frozenset({"fr", "reg", "dep"})


class TerritoryError(ValueError):
    """A territory code that cannot be used.

    ``code`` says why, as a stable kebab-case string: ``ambiguous-territory`` (a bare code such as
    ``84`` with no level), ``malformed-territory`` (not a territory code at all),
    ``unknown-territory`` (well-formed, but no such territory) or ``unknown-commune`` (a
    commune code of a known département that the Code officiel géographique does not list).
    ``territory`` is the code given; ``suggestions`` the existing codes the user may have meant
    (for ``unknown-commune``: the communes of the same département with the closest codes).
    """

    def __init__(self, message: str, *, code: TerritoryErrorCode, territory: str,
                 suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code: TerritoryErrorCode = code
        self.territory = territory
        self.suggestions = suggestions


def unknown_territory(code: str, level: str, *, level_known: bool,
                      departement: str = "") -> TerritoryError:
    """The error for ``code``, well-formed but in no referential: no referential defines its
    level, or (a commune's) its ``departement`` does not exist, or it is just not known."""
    if not level_known:
        message = _("{code!r}: no referential defines the level {level!r}")
    elif departement:
        message = _("{code!r}: no département {departement!r}")
    else:
        message = _("{code!r} is not a known territory")
    return TerritoryError(message.format(code=code, level=level, departement=departement),
                          code="unknown-territory", territory=code)


def unknown_commune(code: str, nearest: tuple[str, ...], described: str) -> TerritoryError:
    """The error for a commune the Code officiel géographique does not list, with the
    ``nearest`` codes (``described``: said with their names)."""
    message = (_("commune {code!r} does not exist in the Code officiel géographique; did you "
                 "mean {names}?") if nearest else
               _("commune {code!r} does not exist in the Code officiel géographique"))
    return TerritoryError(message.format(code=code, names=described), code="unknown-commune",
                          territory=code, suggestions=nearest)


@attrs.define(kw_only=True, frozen=True)
class Territory:
    """A parsed territory code, ``<level>:<local>`` (or ``fr``), with its name if known."""

    code: str
    level: str
    local: str
    name: str | None


def commune_departement(local: str) -> str:
    """The département of a commune, from its local code."""
    # Overseas communes (97x) take a 3-digit département; all others the first 2 characters.
    return "dep:" + (local[:3] if local.startswith("97") else local[:2])


def split_code(code: str) -> tuple[str, str]:
    """Level and local part of a well-formed code.

    :raises TerritoryError: ``ambiguous-territory`` or ``malformed-territory``.
    """
    if not isinstance(code, str):
        raise TerritoryError(
            _("a territory code must be a string, not {type}").format(
                type=type(code).__name__),
            code="malformed-territory",
            territory=repr(code),
        )
    if code == "fr":
        return "fr", ""
    if not _TERRITORY_RE.match(code):
        if _BARE_CODE.fullmatch(code):
            candidates = [
                f"{level}:{code}"
                for level, form in _LOCAL_FORMS.items()
                if form.fullmatch(code)
            ]
            if candidates:
                raise TerritoryError(
                    _("{code!r} has no level; territory codes carry their level, write "
                      "{codes}").format(code=code,
                                        codes=_(" or ").join(repr(c) for c in candidates)),
                    code="ambiguous-territory",
                    territory=code,
                )
        raise TerritoryError(
            _("{code!r} is not a territory code: expected 'fr' or '<level>:<code>' "
              "such as 'reg:84', 'dep:69', 'com:69123' or 'epci:200046977'").format(code=code),
            code="malformed-territory",
            territory=code,
        )
    level, local = code.split(":", 1)
    form = _LOCAL_FORMS.get(level)
    if form is not None and not form.fullmatch(local):
        raise TerritoryError(
            _("{code!r} is not a well-formed {level!r} code").format(code=code, level=level),
            code="malformed-territory",
            territory=code,
        )
    return level, local
