"""The optional online lookup: SIREN, SIRET or RNA numbers asked to the search API.

Only with ``--option online=yes`` on the ``recherche-entreprises`` importer: PATH is then a
text file of identifiers, one per line (blank lines and ``#`` comments ignored). Each
identifier is checked first (pmae's check digits for SIREN and SIRET, the RNA form), so no
request is spent on a typo; then ``/search?q=<identifier>`` is asked, at most
:data:`REQUESTS_PER_SECOND` a second (the API accepts 7 per IP), waiting as long as a 429
answer's ``Retry-After`` says. The units found go through the same reading as a saved
response. Nothing else in pmae or in the tests calls the network.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import attrs
from pmae.identifiers import luhn_ok, siret_ok
from pmae.issues import Issue

from pmae_registres.common import RNA

API: Final = "https://recherche-entreprises.api.gouv.fr/search"
#: Below the API's published limit (7 requests a second per IP), with a margin.
REQUESTS_PER_SECOND: Final = 5
#: How many times a request answered 429 is tried again.
RETRIES: Final = 3
USER_AGENT: Final = "pmae-registres/0.1 (pmae import recherche-entreprises --option online=yes)"

#: ``fetch(url) -> (HTTP status, body, Retry-After seconds or None)``.
Fetch = Callable[[str], tuple[int, bytes, float | None]]


def fetch_url(url: str) -> tuple[int, bytes, float | None]:
    """GET ``url`` with an explicit User-Agent, as the API asks; errors as statuses."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                   "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), None
    except urllib.error.HTTPError as error:
        retry = error.headers.get("Retry-After") if error.headers else None
        return error.code, error.read(), float(retry) if retry and retry.isdigit() else None


@attrs.define(kw_only=True)
class Limiter:
    """At most ``per_second`` calls a second: :meth:`wait` sleeps until the next is allowed."""

    per_second: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float = 0.0

    def wait(self, at_least: float = 0.0) -> None:
        """Sleep until a call is allowed (and at least ``at_least`` seconds from now)."""
        now = self.clock()
        start = max(self._next, now + at_least)
        if start > now:
            self.sleep(start - now)
        self._next = start + 1 / self.per_second


def identifiers(path: Path) -> tuple[list[tuple[str, int]], list[Issue]]:
    """The identifiers of a list file with their line numbers, and the lines that are not
    SIREN, SIRET or RNA numbers (errors: nothing is asked before the list is right)."""
    found: list[tuple[str, int]] = []
    issues: list[Issue] = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        return [], [Issue(code="file-not-found", file=str(path),
                          message=f"cannot read the list of identifiers: {error}")]
    for number, line in enumerate(lines, start=1):
        value = line.split("#", 1)[0].replace(" ", "").strip()
        if not value:
            continue
        if ((len(value) == 9 and value.isdigit() and luhn_ok(value))
                or (len(value) == 14 and value.isdigit() and siret_ok(value))
                or RNA.match(value)):
            found.append((value, number))
        else:
            issues.append(Issue(code="registres:bad-identifier", file=str(path), line=number,
                                message=f"{value!r} is not a SIREN, SIRET (check digit) or "
                                        "RNA number",
                                hint="one identifier a line: 9 digits, 14 digits or W and "
                                     "9 characters"))
    return found, issues


def matches(unit: Any, identifier: str) -> bool:
    """Whether a result is the unit the identifier names (the search is full-text)."""
    if not isinstance(unit, dict):
        return False
    if identifier.startswith("W"):
        complements = unit.get("complements")
        return isinstance(complements, dict) and (
            complements.get("identifiant_association") == identifier)
    return unit.get("siren") == identifier[:9]


def lookup(path: Path, found: list[tuple[str, int]], *, fetch: Fetch | None = None,
           limiter: Limiter | None = None) -> tuple[list[tuple[Any, int]], list[Issue]]:
    """Ask the API for each identifier (with :func:`fetch_url` unless ``fetch`` is given);
    the matching results with the line they answer."""
    get = fetch or fetch_url
    pace = limiter or Limiter(per_second=REQUESTS_PER_SECOND)
    results: list[tuple[Any, int]] = []
    issues: list[Issue] = []
    for identifier, line in found:
        url = f"{API}?{urllib.parse.urlencode({'q': identifier, 'per_page': 5})}"
        status, body, retry = 0, b"", None
        for _ in range(RETRIES + 1):
            pace.wait(retry or 0.0)
            try:
                status, body, retry = get(url)
            except OSError as error:
                status, body, retry = 0, str(error).encode(), None
            if status != 429:
                break
            retry = retry if retry is not None else 1.0
        unit = _answer(status, body, identifier)
        if isinstance(unit, str):
            issues.append(Issue(code="registres:lookup-failed", file=str(path), line=line,
                                severity="warning" if status == 200 else "error",
                                message=f"{identifier}: {unit}"))
        else:
            results.append((unit, line))
    return results, issues


def _answer(status: int, body: bytes, identifier: str) -> Any:
    """The result for ``identifier``, or a string saying why there is none."""
    if status != 200:
        return f"the API answered {status or 'nothing'}" + (
            " (too many requests)" if status == 429 else "")
    try:
        data = json.loads(body)
    except ValueError:
        return "the API's answer is not JSON"
    results = data.get("results") if isinstance(data, dict) else None
    unit = next((r for r in results or () if matches(r, identifier)), None)
    return unit if unit is not None else "not found in the registry"
