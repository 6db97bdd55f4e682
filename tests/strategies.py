"""Hypothesis strategies for the pmae model, built with ``st.builds`` from the attrs classes.

Every strategy here produces values whose unstructured form is valid against the JSON Schemas
(ids, codes, territories, dates, lengths and ranges as the schemas ask). :func:`bundles`
goes further: its bundles also pass the semantic checks (unique ids, references that resolve
to the right kind of record, known codes and territories, ordered dates, SIREN/SIRET check
digits, size bands that match headcounts), so any issue found on a mutated bundle comes from
the mutation.

Text deliberately includes characters that break naive code: NUL, line and paragraph
separators, right-to-left overrides, combining accents, emoji, quotes and backslashes. Lone
surrogates are left out: they are not Unicode scalar values, so no UTF-8 JSON file holds them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from pmae.identifiers import luhn_check_digit
from pmae.model import (
    VISIBILITIES,
    Actor,
    Association,
    Bundle,
    Diagnosis,
    Meeting,
    Need,
    Offer,
    Person,
    Practice,
    Production,
    Programme,
    Provenance,
    Referral,
    Registration,
    Resource,
    Response,
    Source,
    Speaker,
    Workshop,
)
from pmae.territories import core_territories
from pmae.vocab import core_vocabularies, size_band_for

T = TypeVar("T")

VOCABULARIES = core_vocabularies()

# --- scalars -------------------------------------------------------------------------------


_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DIGITS = "0123456789"
_ALNUM_LOWER = _LOWER + _DIGITS
_ALNUM = _LOWER + _UPPER + _DIGITS


def _chars(alphabet: str, min_size: int = 0, max_size: int = 10) -> st.SearchStrategy[str]:
    # Text over an alphabet: far cheaper to draw than a regular expression strategy.
    return st.text(alphabet, min_size=min_size, max_size=max_size)


def _digits(size: int) -> st.SearchStrategy[str]:
    return _chars(_DIGITS, size, size)


def _join(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


#: ``[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?``
slugs = st.one_of(
    _chars(_ALNUM_LOWER, 1, 1),
    _join(
        _chars(_ALNUM_LOWER, 1, 1), _chars(_ALNUM_LOWER + "-", 0, 14), _chars(_ALNUM_LOWER, 1, 1)
    ),
)
#: ``[A-Za-z0-9][A-Za-z0-9._~-]*``
local_ids = _join(_chars(_ALNUM, 1, 1), _chars(_ALNUM + "._~-", 0, 20))
ids = st.builds(lambda slug, local: f"{slug}:{local}", slugs, local_ids)

#: Strings that have broken JSON, regex and terminal code before.
TRICKY_TEXT: tuple[str, ...] = (
    "Saint-Étienne",
    "l'Isère « en régions »",
    'guillemets "doubles" et \\ barre oblique inverse',
    "nul\\u0000 écrit en toutes lettres",  # a real NUL is refused (control-character)
    "ligne\nsuivante\r\n",
    "séparateurs\u2028de\u2029lignes",
    "\u200fmarques RTL\u200e",  # an override (U+202E) is refused (bidi-override)
    "e\u0301 combinant",
    "😀 emoji 👩‍👧‍👦",
    "\ufeffBOM au début",
    "\u200b",
    " ",
    "\t",
    "ǅ ß ﬁ İ",
    "</script><!--",
)

#: Any scalar value but controls (tab and line breaks come from TRICKY_TEXT) and direction
#: controls, which validation refuses in any text (control-character, bidi-override).
_characters = st.characters(codec="utf-8", exclude_categories=("Cc",),
                            exclude_characters="\u202a\u202b\u202c\u202d\u202e"
                                               "\u2066\u2067\u2068\u2069")


def text(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """Unicode text (any scalar value), with the tricky samples mixed in."""
    samples = [t for t in TRICKY_TEXT if min_size <= len(t) <= max_size]
    return st.one_of(
        st.text(_characters, min_size=min_size, max_size=max_size),
        st.sampled_from(samples),
    )


names = st.one_of(text(1, 40), st.just("é" * 300))  # 300 characters is the schema's maximum
long_texts = text(1, 200)
_ATEXT = _ALNUM + "_+-"
emails = st.builds(
    lambda local, dotted, domain, tld: f"{local}{dotted}@{domain}.{tld}",
    _chars(_ATEXT, 1, 10),
    st.sampled_from(["", ".x", ".dupont"]),
    # IDNA reserves "--" in the 3rd and 4th places of a label (xn--…): not a plain domain.
    slugs.filter(lambda label: label[2:4] != "--"),
    _chars(_LOWER, 2, 6),
)
phones = st.one_of(
    _join(_chars("+", 0, 1), _digits(1), _chars(_DIGITS + " .()-", 5, 24)),
    st.sampled_from(["04 72 00 00 00", "+33 4 72 00 00 00"]),
)
urls = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}.fr/{path}{query}",
    st.sampled_from(["http", "https"]),
    slugs,
    _chars(_ALNUM + "._~/-", 0, 20),
    st.sampled_from(["", "?q=1", "?q=%C3%A9t%C3%A9&x=y", "#ancre"]),
)

#: Dates over the whole range both the model and the schemas accept (year 1 to 9999).
dates = st.dates()

#: Offsets in whole minutes: RFC 3339 has no seconds in offsets.
timezones = st.one_of(
    st.just(dt.UTC),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
    ),
)
datetimes = st.datetimes(timezones=timezones)


def _check_digit(digits: str) -> str:
    return digits + luhn_check_digit(digits)


# SIREN 356000000 (La Poste) has its own SIRET rule: keep it out of the generated numbers.
sirens = _digits(8).map(_check_digit).filter(lambda siren: siren != "356000000")


def sirets_for(siren: str) -> st.SearchStrategy[str]:
    """SIRETs of the establishments of ``siren``, with a correct check digit."""
    return _digits(4).map(lambda nic: _check_digit(siren + nic))


sirets = sirens.flatmap(sirets_for)
rnas = _join(st.just("W"), _digits(1), _chars(_DIGITS + "AB", 1, 1), _digits(7))
idccs = _digits(4)

# --- codes and territories ------------------------------------------------------------------


def code(vocabulary: str) -> st.SearchStrategy[str]:
    """One code of a shipped vocabulary."""
    return st.sampled_from(VOCABULARIES[vocabulary].codes())


def codes(vocabulary: str, max_size: int = 3) -> st.SearchStrategy[tuple[str, ...]]:
    """Distinct codes of a shipped vocabulary (the schemas ask ``uniqueItems``)."""
    return st.lists(code(vocabulary), unique=True, max_size=max_size).map(tuple)


_TERRITORIES = core_territories()
_DEPARTEMENTS: tuple[str, ...] = _TERRITORIES._departements
_REGIONS: tuple[str, ...] = _TERRITORIES._current_regions + _TERRITORIES._former_regions


def _commune_in(departement: str) -> st.SearchStrategy[str]:
    # Real communes only: a code the COG does not list is refused (unknown-commune).
    return st.sampled_from(_TERRITORIES.communes(departement))


communes = st.sampled_from(_DEPARTEMENTS).flatmap(_commune_in)
#: Territory codes that are well formed and exist (EPCIs are drawn from communes' EPCI).
territories = st.one_of(
    st.just("fr"), st.sampled_from(_REGIONS), st.sampled_from(_DEPARTEMENTS), communes,
    communes.map(lambda c: _TERRITORIES.epci(c) or c),
)


def unique_tuples(
    elements: st.SearchStrategy[T], max_size: int = 3
) -> st.SearchStrategy[tuple[T, ...]]:
    """Tuples of distinct elements."""
    return st.lists(elements, unique=True, max_size=max_size).map(tuple)


def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    """``None`` or a value of ``strategy``."""
    return st.none() | strategy


visibilities = st.sampled_from(VISIBILITIES)
recipients = unique_tuples(st.one_of(slugs, ids))

# --- answers of questionnaires --------------------------------------------------------------

#: Integers that every JSON tool reads exactly (IEEE doubles hold integers up to 2**53).
answer_ints = st.integers(min_value=-(2**53), max_value=2**53)
answers_values: st.SearchStrategy[int | float | str | None] = st.one_of(
    st.none(),
    answer_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    text(0, 60),
)
answer_keys = _join(_chars(_ALNUM, 1, 1), _chars(_ALNUM + "_.-", 0, 15))

# --- values ---------------------------------------------------------------------------------

persons = st.builds(
    Person, name=names, role=optional(names), email=optional(emails), phone=optional(phones)
)
sources = st.builds(
    Source, slug=slugs, name=names, url=optional(urls), contact_email=optional(emails)
)
provenances = st.builds(
    Provenance,
    source=sources,
    generated_at=datetimes,
    file=optional(text(0, 60)),
    records=st.integers(min_value=0, max_value=2**53),
)
#: A speaker names at least one of person, organisation and actor (the schema's anyOf).
speakers = st.builds(
    Speaker,
    person=optional(persons),
    organisation=optional(names),
    actor=optional(ids),
    outside=st.booleans(),
    topic=optional(names),
).filter(lambda s: s.person is not None or s.organisation is not None or s.actor is not None)
workshops = st.builds(
    Workshop,
    title=names,
    themes=codes("themes"),
    facilitators=unique_tuples(ids),
    start=optional(datetimes),
    end=optional(datetimes),
    room=optional(names),
)
registrations = st.builds(
    Registration,
    actor=ids,
    participants=st.integers(min_value=1, max_value=10_000),
    attended=optional(st.booleans()),
)

# --- records --------------------------------------------------------------------------------

actors = st.builds(
    Actor,
    id=ids,
    name=names,
    actor_type=code("actor_types"),
    description=optional(long_texts),
    labels=codes("actor_labels"),
    networks=unique_tuples(ids),
    territories=unique_tuples(territories),
    commune=optional(communes),
    address=optional(text(1, 80)),
    siret=optional(sirets),
    website=optional(urls),
    email=optional(emails),
    phone=optional(phones),
    contacts=st.lists(persons, max_size=2).map(tuple),
    visibility=visibilities,
    recipients=recipients,
)
offers = st.builds(
    Offer,
    id=ids,
    actor=ids,
    title=names,
    description=optional(long_texts),
    themes=codes("themes"),
    stages=codes("stages", max_size=7),
    territories=unique_tuples(territories),
    size_bands=codes("size_bands"),
    sectors=codes("sectors"),
    formats=codes("offer_formats", max_size=2),
    delivery=optional(code("delivery_modes")),
    cost=optional(code("costs")),
    valid_from=optional(dates),
    valid_until=optional(dates),
    url=optional(urls),
    visibility=visibilities,
    recipients=recipients,
)


@st.composite
def _siren_and_siret(draw: st.DrawFn) -> tuple[str | None, str | None]:
    siren = draw(optional(sirens))
    if siren is None:
        return None, draw(optional(sirets))
    return siren, draw(optional(sirets_for(siren)))


def _association(
    ident: str, name: str, numbers: tuple[str | None, str | None], **fields: Any
) -> Association:
    siren, siret = numbers
    return Association(id=ident, name=name, siren=siren, siret=siret, **fields)


associations = st.builds(
    _association,
    ids,
    names,
    _siren_and_siret(),
    rna=optional(rnas),
    sector=optional(code("sectors")),
    headcount=optional(st.integers(min_value=0, max_value=1_000_000)),
    fte=optional(st.floats(min_value=0, max_value=1_000_000)),
    size_band=optional(code("size_bands")),
    commune=optional(communes),
    idcc=optional(idccs),
    founded=optional(dates),
    visibility=visibilities,
    recipients=recipients,
)
diagnoses = st.builds(
    Diagnosis,
    id=ids,
    association=ids,
    tool=_join(
        st.sampled_from(["", "fonda:", "france-active:"]),
        _chars(_ALNUM_LOWER, 1, 1),
        _chars(_ALNUM_LOWER + "_-", 0, 10),
    ),
    tool_version=text(1, 12),
    date=dates,
    answers=st.dictionaries(answer_keys, answers_values, max_size=5),
    scores=st.dictionaries(answer_keys, st.floats(min_value=0, max_value=100), max_size=3),
    levels=st.dictionaries(answer_keys, text(1, 20), max_size=3),
    completeness=optional(st.floats(min_value=0, max_value=1)),
    alerts=st.lists(text(1, 40), max_size=2).map(tuple),
    needs=unique_tuples(ids),
    advisor=optional(ids),
    visibility=visibilities,
    recipients=recipients,
)
needs = st.builds(
    Need,
    id=ids,
    theme=code("themes"),
    origin=code("need_origins"),
    date=dates,
    association=optional(ids),
    diagnosis=optional(ids),
    stage=optional(code("stages")),
    priority=st.integers(min_value=1, max_value=3),
    intensity=optional(st.floats(min_value=0, max_value=1_000_000)),
    territory=optional(territories),
    size_band=optional(code("size_bands")),
    sector=optional(code("sectors")),
    status=code("need_statuses"),
    visibility=visibilities,
    recipients=recipients,
)
referrals = st.builds(
    Referral,
    id=ids,
    need=ids,
    offer=ids,
    by=ids,
    date=dates,
    outcome=code("referral_outcomes"),
    visibility=visibilities,
    recipients=recipients,
)
meetings = st.builds(
    Meeting,
    id=ids,
    kind=code("meeting_kinds"),
    title=names,
    start=datetimes,
    end=datetimes,
    status=code("meeting_statuses"),
    place=optional(names),
    commune=optional(communes),
    themes=codes("themes"),
    organisers=unique_tuples(ids),
    speakers=st.lists(speakers, max_size=2).map(tuple),
    workshops=st.lists(workshops, max_size=2).map(tuple),
    registrations=st.lists(registrations, max_size=3).map(tuple),
    productions=unique_tuples(ids),
    visibility=visibilities,
    recipients=recipients,
)
productions = st.builds(
    Production,
    id=ids,
    kind=code("production_kinds"),
    title=names,
    year=st.integers(min_value=1900, max_value=2200),
    themes=codes("themes"),
    authors=unique_tuples(ids),
    resources=unique_tuples(ids),
    meeting=optional(ids),
    status=code("production_statuses"),
    url=optional(urls),
    visibility=visibilities,
    recipients=recipients,
)
resources = st.builds(
    Resource,
    id=ids,
    title=names,
    kind=code("resource_kinds"),
    publisher=optional(names),
    url=optional(urls),
    themes=codes("themes"),
    description=optional(long_texts),
    visibility=visibilities,
    recipients=recipients,
)
programmes = st.builds(
    Programme,
    id=ids,
    year=st.integers(min_value=1900, max_value=2200),
    title=names,
    priorities=codes("themes"),
    meetings=unique_tuples(ids),
    productions=unique_tuples(ids),
    visibility=visibilities,
    recipients=recipients,
)
responses = st.builds(
    Response,
    id=ids,
    title=names,
    description=optional(long_texts),
    themes=codes("themes"),
    stages=codes("stages", max_size=7),
    territories=unique_tuples(territories),
    actors=unique_tuples(ids),
    meeting=optional(ids),
    programme=optional(ids),
    decided_on=optional(dates),
    started_on=optional(dates),
    ended_on=optional(dates),
    status=code("response_statuses"),
    offers=unique_tuples(ids),
    productions=unique_tuples(ids),
    visibility=visibilities,
    recipients=recipients,
)
practices = st.builds(
    Practice,
    id=ids,
    title=names,
    description=optional(long_texts),
    actors=unique_tuples(ids),
    themes=codes("themes"),
    stages=codes("stages", max_size=7),
    territories=unique_tuples(territories),
    meeting=optional(ids),
    resources=unique_tuples(ids),
    visibility=visibilities,
    recipients=recipients,
)

#: Collection name -> strategy of its records (schema-valid; references left dangling).
RECORD_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "actors": actors,
    "offers": offers,
    "associations": associations,
    "diagnoses": diagnoses,
    "needs": needs,
    "referrals": referrals,
    "meetings": meetings,
    "productions": productions,
    "resources": resources,
    "programmes": programmes,
    "responses": responses,
    "practices": practices,
}

# --- bundles --------------------------------------------------------------------------------


def _ordered(first: T | None, last: T | None) -> tuple[T | None, T | None]:
    if first is not None and last is not None and last < first:  # type: ignore[operator]
        return last, first
    return first, last


@st.composite
def bundles(draw: st.DrawFn, max_records: int = 2) -> Bundle:
    """A bundle that is valid through every layer: schema, structure and semantic checks.

    Records are drawn from the per-class strategies, then given unique ids of the bundle's
    source, references drawn among the records of the right kind, dates put in order and
    size bands matched to headcounts.
    """
    source = draw(sources)
    serial = itertools.count()

    def records(strategy: st.SearchStrategy[T], needed: bool = True) -> list[T]:
        if not needed:
            return []
        drawn = draw(st.lists(strategy, max_size=max_records))
        # A serial number keeps ids unique whatever local parts were drawn.
        return [
            attrs.evolve(r, id=f"{source.slug}:{r.id.partition(':')[2]}.{next(serial)}")  # type: ignore[misc]
            for r in drawn
        ]

    actor_list = records(actors)
    actor_ids = [a.id for a in actor_list]
    resource_list = records(resources)
    association_list = records(associations)
    offer_list = records(offers, needed=bool(actor_ids))
    diagnosis_list = records(diagnoses, needed=bool(association_list))
    need_list = records(needs)
    referral_list = records(referrals, needed=bool(need_list and offer_list))
    meeting_list = records(meetings)
    production_list = records(productions)
    programme_list = records(programmes)
    response_list = records(responses)
    practice_list = records(practices)

    pools = {
        "actors": actor_ids,
        "resources": [r.id for r in resource_list],
        "associations": [a.id for a in association_list],
        "offers": [o.id for o in offer_list],
        "diagnoses": [d.id for d in diagnosis_list],
        "needs": [n.id for n in need_list],
        "meetings": [m.id for m in meeting_list],
        "productions": [p.id for p in production_list],
        "programmes": [p.id for p in programme_list],
    }

    def one(pool: str) -> str:
        return draw(st.sampled_from(pools[pool]))

    def maybe(pool: str) -> str | None:
        return draw(optional(st.sampled_from(pools[pool]))) if pools[pool] else None

    def some(pool: str) -> tuple[str, ...]:
        return draw(unique_tuples(st.sampled_from(pools[pool]))) if pools[pool] else ()

    def each(items: Sequence[T], fix: Callable[[T], T]) -> tuple[T, ...]:
        return tuple(fix(item) for item in items)

    def fix_association(a: Association) -> Association:
        if a.headcount is not None and a.size_band is not None:
            a = attrs.evolve(a, size_band=size_band_for(a.headcount))
        return a

    def fix_offer(o: Offer) -> Offer:
        valid_from, valid_until = _ordered(o.valid_from, o.valid_until)
        return attrs.evolve(o, actor=one("actors"), valid_from=valid_from, valid_until=valid_until)

    def fix_workshop(w: Workshop) -> Workshop:
        start, end = _ordered(w.start, w.end)
        return attrs.evolve(w, facilitators=some("actors"), start=start, end=end)

    def fix_speaker(s: Speaker) -> Speaker:
        actor = maybe("actors")
        if actor is None and s.person is None and s.organisation is None:
            return attrs.evolve(s, actor=None, organisation="Intervenant extérieur")
        return attrs.evolve(s, actor=actor)

    def fix_response(r: Response) -> Response:
        # A response's dates follow its life: decided, started, ended.
        given = sorted(d for d in (r.decided_on, r.started_on, r.ended_on) if d is not None)
        ordered = iter(given)
        return attrs.evolve(
            r, actors=some("actors"), meeting=maybe("meetings"), programme=maybe("programmes"),
            offers=some("offers"), productions=some("productions"),
            **{field: next(ordered) if getattr(r, field) is not None else None
               for field in ("decided_on", "started_on", "ended_on")})

    def fix_meeting(m: Meeting) -> Meeting:
        start, end = _ordered(m.start, m.end)
        return attrs.evolve(
            m,
            start=start,
            end=end,
            organisers=some("actors"),
            productions=some("productions"),
            speakers=each(m.speakers, fix_speaker),
            workshops=each(m.workshops, fix_workshop),
            registrations=(
                each(m.registrations, lambda r: attrs.evolve(r, actor=one("actors")))
                if actor_ids else ()
            ),
        )

    return draw(
        st.builds(
            Bundle,
            format_version=st.sampled_from(["1.0.0", "1.1.0", "1.1.0", "1.2.10"]),
            source=st.just(source),
            generated_at=datetimes,
            licence=st.one_of(st.just("etalab-2.0"), text(1, 100)),
            description=optional(long_texts),
            provenance=st.lists(provenances, max_size=2).map(tuple),
            actors=st.just(each(actor_list, lambda a: attrs.evolve(a, networks=some("actors")))),
            offers=st.just(each(offer_list, fix_offer)),
            associations=st.just(each(association_list, fix_association)),
            diagnoses=st.just(each(diagnosis_list, lambda d: attrs.evolve(
                d, association=one("associations"), needs=some("needs"),
                advisor=maybe("actors")))),
            needs=st.just(each(need_list, lambda n: attrs.evolve(
                n, association=maybe("associations"), diagnosis=maybe("diagnoses")))),
            referrals=st.just(each(referral_list, lambda r: attrs.evolve(
                r, need=one("needs"), offer=one("offers"), by=one("actors")))
                if actor_ids else ()),
            meetings=st.just(each(meeting_list, fix_meeting)),
            productions=st.just(each(production_list, lambda p: attrs.evolve(
                p, authors=some("actors"), resources=some("resources"),
                meeting=maybe("meetings")))),
            resources=st.just(tuple(resource_list)),
            programmes=st.just(each(programme_list, lambda p: attrs.evolve(
                p, meetings=some("meetings"), productions=some("productions")))),
            responses=st.just(each(response_list, fix_response)),
            practices=st.just(each(practice_list, lambda p: attrs.evolve(
                p, actors=some("actors"), meeting=maybe("meetings"),
                resources=some("resources")))),
        )
    )


#: Every model class -> a strategy for it.
STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    Person: persons,
    Source: sources,
    Provenance: provenances,
    Speaker: speakers,
    Workshop: workshops,
    Registration: registrations,
    Actor: actors,
    Offer: offers,
    Association: associations,
    Diagnosis: diagnoses,
    Need: needs,
    Referral: referrals,
    Meeting: meetings,
    Production: productions,
    Resource: resources,
    Programme: programmes,
    Response: responses,
    Practice: practices,
    Bundle: bundles(),
}


# --- dense bundles for the action plan --------------------------------------------------------

#: A few territories of two régions, at every level, so that offers and needs meet.
PLAN_TERRITORIES = ("reg:84", "dep:01", "dep:07", "dep:69", "com:69123", "com:01053",
                    "dep:63", "reg:11", "dep:75")
PLAN_THEMES = ("dialogue_social", "gepp", "benevolat")
PLAN_STAGES = ("information", "conseil", "appui")
PLAN_DAY = dt.date(2025, 6, 1)


@st.composite
def plan_bundles(draw: st.DrawFn) -> Bundle:
    """A small bundle whose offers and needs crowd a few territories, themes and stages, with
    needs of a handful of associations (so some cells of the shared diagnosis are published),
    meetings that actors attend, and responses: what :func:`pmae.analysis.plan.plan` reads."""
    actor_list = [Actor(id=f"t:a{i}", name=f"Acteur {i}", actor_type="autre")
                  for i in range(5)]
    dates = (None, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    offer_list = [
        Offer(id=f"t:o{i}", actor=f"t:a{draw(st.integers(0, 4))}", title="o",
              themes=tuple(draw(st.sets(st.sampled_from(PLAN_THEMES), min_size=1))),
              stages=tuple(draw(st.sets(st.sampled_from(PLAN_STAGES), min_size=1))),
              territories=tuple(draw(st.sets(st.sampled_from(PLAN_TERRITORIES), min_size=1,
                                             max_size=2))),
              valid_until=draw(st.sampled_from(dates)))
        for i in range(draw(st.integers(0, 8)))]
    association_list = [Association(id=f"t:as{i}", name=f"Association {i}")
                        for i in range(6)]
    need_list = [
        Need(id=f"t:n{i}", theme=draw(st.sampled_from((*PLAN_THEMES, "qvct"))),
             origin="declare", date=PLAN_DAY,
             association=draw(st.sampled_from((None, *(a.id for a in association_list)))),
             stage=draw(st.sampled_from((None, *PLAN_STAGES, "suivi"))),
             territory=draw(st.sampled_from((None, *PLAN_TERRITORIES))))
        for i in range(draw(st.integers(0, 25)))]
    start = dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    meeting_list = [Meeting(
        id="t:m1", kind="cofil", title="COFIL", start=start, end=start + dt.timedelta(hours=3),
        registrations=tuple(Registration(actor=a, attended=True) for a in sorted(draw(
            st.sets(st.sampled_from([a.id for a in actor_list]), max_size=3)))))]
    response_list = [
        Response(id=f"t:r{i}", title="r",
                 themes=tuple(draw(st.sets(st.sampled_from(PLAN_THEMES), min_size=1))),
                 stages=tuple(draw(st.sets(st.sampled_from(PLAN_STAGES), max_size=2))),
                 territories=tuple(draw(st.sets(st.sampled_from(PLAN_TERRITORIES),
                                                min_size=1, max_size=2))),
                 status=draw(code("response_statuses")))
        for i in range(draw(st.integers(0, 3)))]
    return Bundle(source=Source(slug="t", name="Test"),
                  generated_at=dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC),
                  actors=tuple(actor_list), offers=tuple(offer_list),
                  associations=tuple(association_list), needs=tuple(need_list),
                  meetings=tuple(meeting_list), responses=tuple(response_list))
