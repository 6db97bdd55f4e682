"""The referential of territories: names, parents, and containment computed from them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pmae.i18n import gettext as _
from pmae.territories.codes import (
    BUILT_IN_ONLY,
    Territory,
    TerritoryError,
    commune_departement,
    split_code,
    unknown_commune,
    unknown_territory,
)
from pmae.territories.communes import CommuneTable

#: The levels the commune table holds.
_TABLE_LEVELS = frozenset({"com", "epci"})
_COMMUNE_CODE = re.compile(r"com:(?:[0-9]{2}|2[AB])[0-9]{3}")


class Territories:
    """The referential: régions, départements, former régions, communes and EPCI, plus any
    referentials added.

    Instances are immutable: :meth:`with_referential` returns a new one. The communes and EPCI
    come from a :class:`~pmae.territories.communes.CommuneTable` read on first need (shared by
    every instance built on it). Ancestors are precomputed for the régions, départements and the
    territories referentials add; those of communes and EPCI are computed once and cached, so
    :meth:`ancestors` and :meth:`contains` are dictionary look-ups.
    """

    __slots__ = ("_ancestors", "_children", "_commune_cache", "_current_regions", "_departements",
                 "_former_regions", "_levels", "_load_table", "_names", "_parents",
                 "_region_departements", "_table")

    def __init__(
        self,
        *,
        names: dict[str, str | None],
        parents: dict[str, tuple[str, ...]],
        current_regions: tuple[str, ...],
        former_regions: tuple[str, ...],
        departements: tuple[str, ...],
        levels: frozenset[str],
        communes: Callable[[], CommuneTable] | None = None,
    ) -> None:
        """Build from explicit tables; use :func:`core_territories` rather than calling this.

        ``communes`` returns the commune table; it is called the first time a commune or an
        EPCI is looked up. Without it, no commune list is known: a commune code then exists
        when its département does.
        """
        self._load_table = communes
        self._table: CommuneTable | None = None
        self._names = names
        self._parents = parents
        self._current_regions = current_regions
        self._former_regions = former_regions
        self._departements = departements
        self._levels = levels
        self._commune_cache: dict[str, frozenset[str]] = {}
        self._children: dict[str, list[str]] = {}
        for child, child_parents in parents.items():
            for parent in child_parents:
                self._children.setdefault(parent, []).append(child)
        self._region_departements: dict[str, tuple[str, ...]] = {
            region: tuple(d for d in departements if region in parents[d])
            for region in current_regions + former_regions
        }
        self._ancestors: dict[str, frozenset[str]] = {}
        for code in names:
            if not code.startswith("com:"):
                self._ancestors[code] = self._compute_ancestors(code)

    # -- construction ------------------------------------------------------------------------

    def with_referential(
        self, *, level: str, entries: Iterable[tuple[str, str | None, Iterable[str]]]
    ) -> Territories:
        """A new referential with ``entries`` of ``level`` added; ``self`` is unchanged.

        Each entry is ``(code, name, parent codes)``. ``level`` may be ``epci``, ``com`` (to give
        communes a name and more parents, such as their EPCI) or a new level added by a plugin
        (``bv`` for *bassins de vie*). Parents must already be known, or come earlier in
        ``entries``: add EPCIs first, then communes with the EPCI as parent. An entry whose code
        is already known gets the new parents in addition to its old ones (and the new name,
        if not ``None``).

        :raises TerritoryError: if a code is not well-formed for ``level`` or a parent is unknown.
        :raises ValueError: if ``level`` is ``fr``, ``reg`` or ``dep``, which only the shipped
            data defines.
        """
        if level in BUILT_IN_ONLY:
            raise ValueError(f"level {level!r} is built in and cannot be extended by a referential")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", level):
            raise ValueError(f"invalid level name {level!r}")
        new = Territories(
            names=dict(self._names),
            parents=dict(self._parents),
            current_regions=self._current_regions,
            former_regions=self._former_regions,
            departements=self._departements,
            levels=self._levels | {level},
            communes=self._load_table,
        )
        new._table = self._table
        for code, name, entry_parents in entries:
            entry_level, _local = split_code(code)
            if entry_level != level:
                raise TerritoryError(
                    _("{code!r} is not a code of level {level!r}").format(code=code,
                                                                           level=level),
                    code="malformed-territory",
                    territory=code,
                )
            if level == "com" and commune_departement(_local) not in new._names:
                # A commune the COG does not list yet may be added, not one without département.
                raise unknown_territory(code, level, level_known=True,
                                        departement=commune_departement(_local))
            parent_codes = tuple(entry_parents)
            for parent in parent_codes:
                if parent == code or not new.exists(parent):
                    raise TerritoryError(
                        _("parent {parent!r} of {code!r} is not a known territory").format(
                            parent=parent, code=code),
                        code="unknown-territory",
                        territory=parent,
                    )
            old = new._parents.get(code, ())
            new._parents[code] = old + tuple(p for p in parent_codes if p not in old)
            if name is not None or not new.exists(code):
                new._names[code] = name
            for parent in parent_codes:
                if parent not in old:
                    new._children.setdefault(parent, []).append(code)
        # A code given again with more parents changes the ancestors of everything below it, so
        # recompute them all once the graph is final (non-communes are a few thousand at most).
        new._ancestors = {}
        for code in new._names:
            if not code.startswith("com:"):
                ancestors = new._compute_ancestors(code)
                if code in ancestors:
                    raise TerritoryError(
                        _("{code!r} would contain itself: the referential has a "
                          "cycle").format(code=code),
                        code="malformed-territory",
                        territory=code,
                    )
                new._ancestors[code] = ancestors
        return new

    # -- the commune table ---------------------------------------------------------------------

    def _communes(self) -> CommuneTable | None:
        table = self._table
        if table is None and self._load_table is not None:
            table = self._table = self._load_table()
        return table

    @property
    def cog_version(self) -> str | None:
        """The dataset the communes and EPCI come from (``@etalab/decoupage-administratif
        6.0.0``), or ``None`` without a commune list. Reads the commune table."""
        table = self._communes()
        return table.version if table is not None else None

    # -- parsing -----------------------------------------------------------------------------

    def parse(self, code: str) -> Territory:
        """The territory for ``code``, which must be well-formed and exist.

        :raises TerritoryError: ``ambiguous-territory``, ``malformed-territory``,
            ``unknown-territory`` or ``unknown-commune`` (see :class:`TerritoryError`).
        """
        level, local = split_code(code)
        table = self._communes() if level in _TABLE_LEVELS else None
        if table is not None:
            base = table.names.get(code)
            if base is not None:
                return Territory(code=code, level=level, local=local,
                                 name=self._names.get(code) or base)
        if code in self._names:
            return Territory(code=code, level=level, local=local, name=self._names[code])
        departement = commune_departement(local) if level == "com" else ""
        if level == "com" and departement in self._names:
            if table is None:  # no commune list: the département decides
                return Territory(code=code, level=level, local=local, name=None)
            nearest = tuple(table.nearest(code))
            raise unknown_commune(code, nearest, self.describe(nearest) if nearest else "")
        raise unknown_territory(code, level, level_known=level in self._levels,
                                departement=departement)

    def exists(self, code: str) -> bool:
        """Whether ``code`` is a well-formed code of a known territory; never raises.

        Communes and EPCI exist when the commune table (or a referential) lists them; without a
        commune list, a commune exists when its code has the right form and its département
        exists. A code of a plugin level exists only if a referential added it.
        """
        if code in self._names or code in self._commune_cache:
            return True
        try:
            self.parse(code)
        except TerritoryError:
            return False
        return True

    def name(self, code: str) -> str | None:
        """The name of the territory, or ``None`` if it has none (a commune without a list).

        :raises TerritoryError: if the code is not a known territory.
        """
        return self.parse(code).name

    def describe(self, codes: Iterable[str]) -> str:
        """``com:69299 (Colombier-Saugnieu), com:69199 (Saint-Fons) or com:69099 (…)``."""
        shown = [f"{c} ({name})" if (name := self.name(c)) else c for c in codes]
        return (", ".join(shown[:-1]) + _(" or ") + shown[-1] if len(shown) > 1
                else "".join(shown))

    def nearest_communes(self, code: str, *, limit: int = 3) -> tuple[str, ...]:
        """Existing communes of the département of ``code`` whose codes are closest to it.

        For a commune code that does not exist (``com:69999``): what the user may have meant.
        ``()`` without a commune list or when ``code`` is not a well-formed commune code.
        """
        table = self._communes()
        if table is None or not _COMMUNE_CODE.fullmatch(code):
            return ()
        return tuple(table.nearest(code, limit=limit))

    def communes_named(self, name: str, *, within: str | None = None,
                       limit: int = 3) -> tuple[str, ...]:
        """The communes whose name is closest to ``name`` (accents and case ignored), if any.

        ``within`` is a département code (``dep:69``) to look in; by default, everywhere.
        """
        table = self._communes()
        if table is None:
            return ()
        return tuple(table.named(name, within, limit=limit))

    def communes(self, code: str) -> tuple[str, ...]:
        """The communes in ``code`` (a département or an EPCI), in code order.

        Arrondissements municipaux are not communes and are left out. ``()`` without a commune
        list.

        :raises TerritoryError: if the code is not a known territory.
        """
        territory = self.parse(code)
        table = self._communes()
        if table is None:
            return ()
        if territory.level == "epci":
            found = table.members.get(code, ())
        elif territory.level == "dep":
            found = tuple(c for c in table.by_departement.get(code, ())
                          if not table.parents.get(c, ("",))[0].startswith("com:"))
        else:  # every commune of a région's départements is in it; other levels: filter
            whole = territory.level in ("fr", "reg")
            found = tuple(c for d in self.departements(code) for c in self.communes(d)
                          if whole or self.contains(code, c))
        added = [c for c in self._children.get(code, ()) if c.startswith("com:")]
        return tuple(sorted(set(found).union(added))) if added else found

    def epci(self, code: str) -> str | None:
        """The EPCI of a commune (``com:69123`` -> ``epci:200046977``), or ``None``.

        :raises TerritoryError: if the code is not a known territory.
        """
        return next((p for p in self.parents(code) if p.startswith("epci:")), None)

    # -- hierarchy ---------------------------------------------------------------------------

    def parents(self, code: str) -> tuple[str, ...]:
        """The direct parents of ``code``.

        A commune's parents are its département, then its EPCI (an arrondissement municipal's:
        its département, then its commune), then any parent a referential gave; an EPCI's are
        the départements of its members; a département's are its current région, then its
        former région if any; a former région's is its current région; a région's is ``fr``.

        :raises TerritoryError: if the code is not a known territory.
        """
        explicit = self._parents.get(code)
        if code.startswith(("com:", "epci:")):
            territory = self.parse(code)
            table = self._communes()
            base = table.parents.get(code, ()) if table is not None else ()
            own = (commune_departement(territory.local),) if territory.level == "com" else ()
            return (*own, *base, *(p for p in explicit or () if p not in base))
        if explicit is None:
            self.parse(code)  # raises the right error
            return ()  # pragma: no cover - every known non-commune code has an entry
        return explicit

    def _compute_ancestors(self, code: str) -> frozenset[str]:
        seen: set[str] = set()
        stack = list(self.parents(code))
        while stack:
            parent = stack.pop()
            if parent in seen:
                continue
            seen.add(parent)
            known = self._ancestors.get(parent)
            if known is not None:
                seen |= known
            else:
                stack.extend(self.parents(parent))
        if code.startswith("com:"):
            # A commune is in one département: an EPCI that straddles two (the Métropole du
            # Grand Paris) must not put Paris in the Hauts-de-Seine.
            own = commune_departement(code[4:])
            keep = self._ancestors.get(own, frozenset()) | {own}
            seen = {a for a in seen if a in keep or not a.startswith(("dep:", "reg:"))}
        if code != "fr":
            # Everything is in France, including plugin territories declared without parents.
            seen.add("fr")
        return frozenset(seen)

    def ancestors(self, code: str) -> frozenset[str]:
        """Every territory that contains ``code``, transitively, not including ``code`` itself.

        :raises TerritoryError: if the code is not a known territory.
        """
        known = self._ancestors.get(code)
        if known is not None:
            return known
        known = self._commune_cache.get(code)
        if known is not None:
            return known
        self.parse(code)
        # Only communes and EPCI reach this point: every other known code is precomputed.
        known = self._compute_ancestors(code)
        self._commune_cache[code] = known
        return known

    def contains(self, outer: str, inner: str) -> bool:
        """Whether ``outer`` contains ``inner`` (or is it); ``fr`` contains every known code.

        :raises TerritoryError: if ``inner`` is not a known territory.
        """
        known = self._ancestors.get(inner) or self._commune_cache.get(inner)
        if known is None:
            known = self.ancestors(inner)
        return outer == inner or outer in known

    def departements(self, code: str) -> tuple[str, ...]:
        """The départements covered by ``code``, in COG order.

        ``fr`` gives all of them; a région (current or former) its own; a département itself;
        a commune its département. For other levels (EPCI, plugin levels): the départements of
        the communes and départements inside it (an EPCI's members, what a referential put
        inside); if none are known, the départements it lies within; else ``()``.

        :raises TerritoryError: if the code is not a known territory.
        """
        territory = self.parse(code)
        if territory.level == "fr":
            return self._departements
        if territory.level == "reg":
            return self._region_departements[code]
        if territory.level == "dep":
            return (code,)
        if territory.level == "com":
            return (commune_departement(territory.local),)
        found: set[str] = set()
        seen: set[str] = set()
        table = self._communes()
        stack = [code]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node.startswith("dep:"):
                found.add(node)
            elif node.startswith("com:"):
                found.add(commune_departement(node[4:]))
            else:
                stack.extend(self._children.get(node, ()))
                if table is not None:
                    stack.extend(table.members.get(node, ()))
        if not found:
            found = {a for a in self.ancestors(code) if a.startswith("dep:")}
        return tuple(d for d in self._departements if d in found)

    def regions(self, *, include_former: bool = False) -> tuple[str, ...]:
        """The current régions, in COG order; with ``include_former``, then the former ones."""
        if include_former:
            return self._current_regions + self._former_regions
        return self._current_regions
