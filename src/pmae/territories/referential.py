"""The referential of territories: names, parents, and containment computed from them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pmae.territories.codes import (
    BUILT_IN_ONLY,
    LEVELS,
    Territory,
    TerritoryError,
    commune_departement,
    split_code,
)


class Territories:
    """The referential: régions, départements, former régions, plus any referentials added.

    Instances are immutable: :meth:`with_referential` returns a new one. Ancestors are precomputed
    for every known territory except communes, whose ancestors are computed once and cached, so
    :meth:`ancestors` and :meth:`contains` are dictionary look-ups.
    """

    __slots__ = (
        "_ancestors",
        "_children",
        "_commune_cache",
        "_current_regions",
        "_departements",
        "_former_regions",
        "_levels",
        "_names",
        "_parents",
        "_region_departements",
    )

    def __init__(
        self,
        *,
        names: dict[str, str | None],
        parents: dict[str, tuple[str, ...]],
        current_regions: tuple[str, ...],
        former_regions: tuple[str, ...],
        departements: tuple[str, ...],
        levels: frozenset[str],
    ) -> None:
        """Build from explicit tables; use :func:`core_territories` rather than calling this."""
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

    @classmethod
    def _from_geo(cls, data: dict[str, Any]) -> Territories:
        names: dict[str, str | None] = {"fr": "France"}
        parents: dict[str, tuple[str, ...]] = {"fr": ()}
        current = tuple(f"reg:{r['code']}" for r in data["regions"])
        for region, entry in zip(current, data["regions"], strict=True):
            names[region] = entry["name"]
            parents[region] = ("fr",)
        former_of: dict[str, str] = {}
        former: list[str] = []
        for entry in data["former_regions"]:
            region = f"reg:{entry['code']}"
            former.append(region)
            names[region] = entry["name"]
            parents[region] = (f"reg:{entry['current_region']}",)
            for dep in entry["departements"]:
                former_of[f"dep:{dep}"] = region
        deps: list[str] = []
        for entry in data["departements"]:
            dep = f"dep:{entry['code']}"
            deps.append(dep)
            names[dep] = entry["name"]
            region = f"reg:{entry['region']}"
            parents[dep] = (region, former_of[dep]) if dep in former_of else (region,)
        return cls(
            names=names,
            parents=parents,
            current_regions=current,
            former_regions=tuple(former),
            departements=tuple(deps),
            levels=frozenset(LEVELS),
        )

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
        )
        for code, name, entry_parents in entries:
            entry_level, _local = split_code(code)
            if entry_level != level:
                raise TerritoryError(
                    f"{code!r} is not a code of level {level!r}",
                    code="malformed-territory",
                    territory=code,
                )
            if level == "com":
                new.parse(code)  # a commune's département must exist
            parent_codes = tuple(entry_parents)
            for parent in parent_codes:
                if parent == code or not new.exists(parent):
                    raise TerritoryError(
                        f"parent {parent!r} of {code!r} is not a known territory",
                        code="unknown-territory",
                        territory=parent,
                    )
            old = new._parents.get(code, ())
            new._parents[code] = old + tuple(p for p in parent_codes if p not in old)
            if name is not None or code not in new._names:
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
                        f"{code!r} would contain itself: the referential has a cycle",
                        code="malformed-territory",
                        territory=code,
                    )
                new._ancestors[code] = ancestors
        return new

    # -- parsing -----------------------------------------------------------------------------

    def parse(self, code: str) -> Territory:
        """The territory for ``code``, which must be well-formed and exist.

        :raises TerritoryError: ``ambiguous-territory``, ``malformed-territory`` or
            ``unknown-territory`` (see :class:`TerritoryError`).
        """
        level, local = split_code(code)
        if code in self._names:
            return Territory(code=code, level=level, local=local, name=self._names[code])
        if level == "com" and commune_departement(local) in self._names:
            return Territory(code=code, level=level, local=local, name=None)
        if level not in self._levels:
            message = f"{code!r}: no referential defines the level {level!r}"
        elif level == "com":
            message = f"{code!r}: no département {commune_departement(local)!r}"
        else:
            message = f"{code!r} is not a known territory"
        raise TerritoryError(message, code="unknown-territory", territory=code)

    def exists(self, code: str) -> bool:
        """Whether ``code`` is a well-formed code of a known territory; never raises.

        No commune list is shipped: a commune exists when its code has the right form and its
        département (from the code's prefix) exists. An EPCI, or a code of a plugin level,
        exists only if a referential added it.
        """
        if code in self._names or code in self._commune_cache:
            return True
        try:
            self.parse(code)
        except TerritoryError:
            return False
        return True

    def name(self, code: str) -> str | None:
        """The name of the territory, or ``None`` if unknown (communes without a referential).

        :raises TerritoryError: if the code is not a known territory.
        """
        return self.parse(code).name

    # -- hierarchy ---------------------------------------------------------------------------

    def parents(self, code: str) -> tuple[str, ...]:
        """The direct parents of ``code``.

        A commune's parents are its département, then any parent given by a referential (its
        EPCI); a département's are its current région, then its former région if any; a former
        région's is its current région; a région's is ``fr``.

        :raises TerritoryError: if the code is not a known territory.
        """
        explicit = self._parents.get(code)
        if code.startswith("com:"):
            territory = self.parse(code)
            return (commune_departement(territory.local), *(explicit or ()))
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
        # Only communes reach this point: every other known code is precomputed.
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
        the communes and départements a referential put inside it; if none are known, the
        départements it lies within; else ``()``.

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
        if not found:
            found = {a for a in self.ancestors(code) if a.startswith("dep:")}
        return tuple(d for d in self._departements if d in found)

    def regions(self, *, include_former: bool = False) -> tuple[str, ...]:
        """The current régions, in COG order; with ``include_former``, then the former ones."""
        if include_former:
            return self._current_regions + self._former_regions
        return self._current_regions
