"""Friendly model construction: lists and ISO strings are converted, wrong types named."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
import strategies as S
from hypothesis import given, settings
from hypothesis import strategies as st

from pmae.io.bundles import write_bundle
from pmae.io.checks import check_bundle
from pmae.io.converter import MODEL_CLASSES, _plain_slots
from pmae.model import (
    Actor,
    Association,
    Bundle,
    Diagnosis,
    Meeting,
    ModelTypeError,
    Offer,
    Person,
    Source,
    Speaker,
    Workshop,
)
from pmae.model.fields import Answer, FrozenDict

ANY_RECORD = st.one_of(
    S.persons, S.sources, S.provenances, S.speakers, S.workshops, S.registrations, S.actors,
    S.offers, S.associations, S.diagnoses, S.needs, S.referrals, S.meetings, S.productions,
    S.resources, S.programmes,
)

WHEN = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
SOURCE = Source(slug="lma-ra", name="Le Mouvement associatif AURA")


def _friendly(value: Any, data: st.DataObject) -> dict[str, Any]:
    """The constructor arguments of ``value`` as a Python user would write them."""
    kwargs: dict[str, Any] = {}
    for field in attrs.fields(type(value)):
        item = getattr(value, field.name)
        if isinstance(item, tuple):
            shape = data.draw(st.sampled_from([list, tuple, iter]))
            item = shape(item)
        elif isinstance(item, dt.date):  # datetimes too
            item = data.draw(st.sampled_from([item, item.isoformat()]))
        kwargs[field.name] = item
    return kwargs


@given(value=ANY_RECORD, data=st.data())
def test_lists_and_iso_strings_build_the_same_value(value: Any, data: st.DataObject) -> None:
    assert type(value)(**_friendly(value, data)) == value


@settings(max_examples=25)
@given(bundle=S.bundles(), data=st.data())
def test_a_bundle_from_lists_equals_the_bundle_from_tuples(
    bundle: Bundle, data: st.DataObject
) -> None:
    assert Bundle(**_friendly(bundle, data)) == bundle


def _offer(**changes: Any) -> Offer:
    return Offer(**{"id": "lma-ra:offre-1", "actor": "lma-ra:lma", "title": "Accompagnement",
                    **changes})


@pytest.mark.parametrize(("build", "message"), [
    (lambda: _offer(themes="x"),
     "Offer 'lma-ra:offre-1': field 'themes' expects a list of codes, got the string 'x'"),
    (lambda: _offer(themes=["emploi", 3]),
     "Offer 'lma-ra:offre-1': field 'themes' expects a list of codes, got int 3 at index 1"),
    (lambda: _offer(themes={"emploi": 1}),
     "Offer 'lma-ra:offre-1': field 'themes' expects a list of codes, got dict {'emploi': 1}"),
    (lambda: _offer(territories=7),
     "Offer 'lma-ra:offre-1': field 'territories' expects a list of codes, got int 7"),
    (lambda: _offer(title=3),
     "Offer 'lma-ra:offre-1': field 'title' expects a string, got int 3"),
    (lambda: _offer(description=b"x"),
     "Offer 'lma-ra:offre-1': field 'description' expects a string, got bytes b'x'"),
    (lambda: _offer(valid_from="2024-02-30"),
     "Offer 'lma-ra:offre-1': field 'valid_from' expects a date (datetime.date or "
     "'YYYY-MM-DD'), got the string '2024-02-30'"),
    (lambda: _offer(valid_until=WHEN),
     "Offer 'lma-ra:offre-1': field 'valid_until' expects a date (datetime.date or "
     "'YYYY-MM-DD'), got datetime datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.timezon"),
    (lambda: _offer(id=12),
     "Offer: field 'id' expects a string, got int 12"),
    (lambda: Meeting(id="lma-ra:cofil-1", kind="cofil", title="COFIL",
                     start="2026-03-01T09:00:00", end=WHEN),
     "Meeting 'lma-ra:cofil-1': field 'start' expects a date and time with a time zone "
     "(datetime or ISO 8601 string), got the string '2026-03-01T09:00:00'"),
    (lambda: Meeting(id="lma-ra:cofil-1", kind="cofil", title="COFIL",
                     start=WHEN, end=dt.datetime(2026, 3, 1, 12)),
     "Meeting 'lma-ra:cofil-1': field 'end' expects a date and time with a time zone, "
     "got '2026-03-01T12:00:00'"),
    (lambda: Meeting(id="lma-ra:cofil-1", kind="cofil", title="COFIL", start=WHEN, end=WHEN,
                     speakers=[Person(name="Ana")]),
     "Meeting 'lma-ra:cofil-1': field 'speakers' expects a list of Speaker, got Person "
     "Person(name='Ana', role=None, email=None, phone=None) at index 0"),
    (lambda: Association(id="lma-ra:asso-1", name="Asso", headcount=True),
     "Association 'lma-ra:asso-1': field 'headcount' expects an integer, got bool True"),
    (lambda: Association(id="lma-ra:asso-1", name="Asso", fte="2.5"),
     "Association 'lma-ra:asso-1': field 'fte' expects a number, got the string '2.5'"),
    (lambda: Diagnosis(id="lma-ra:d-1", association="lma-ra:asso-1", tool="t",
                       tool_version="1", date="2026-03-01", answers={"q1": True}),
     "Diagnosis 'lma-ra:d-1': field 'answers' expects a dict of answers (number, string or "
     "None), got bool True for key 'q1'"),
    (lambda: Diagnosis(id="lma-ra:d-1", association="lma-ra:asso-1", tool="t",
                       tool_version="1", date="2026-03-01", scores=[1.0]),
     "Diagnosis 'lma-ra:d-1': field 'scores' expects a dict of numbers, got list [1.0]"),
    (lambda: Workshop(title="Emploi", themes="emploi"),
     "Workshop: field 'themes' expects a list of codes, got the string 'emploi'"),
    (lambda: Speaker(outside="false"),
     "Speaker: field 'outside' expects true or false, got the string 'false'"),
    (lambda: Bundle(source={"slug": "lma-ra"}, generated_at=WHEN),
     "Bundle: field 'source' expects a Source, got dict {'slug': 'lma-ra'}"),
    (lambda: Bundle(source=SOURCE, generated_at=WHEN, offers=[Actor(
        id="lma-ra:a", name="A", actor_type="reseau")]),
     "Bundle: field 'offers' expects a list of Offer, got Actor Actor(id='lma-ra:a', "
     "name='A', actor_type='reseau', descript at index 0"),
])
def test_a_wrong_type_names_the_record_and_the_field(build: Any, message: str) -> None:
    with pytest.raises(ModelTypeError) as raised:
        build()
    assert str(raised.value) == message


def test_the_error_is_a_type_error_and_a_value_error_with_its_parts() -> None:
    with pytest.raises(TypeError) as raised:
        _offer(themes="x")
    error = raised.value
    assert isinstance(error, ValueError)
    assert isinstance(error, ModelTypeError)
    assert (error.record, error.record_id, error.field) == ("Offer", "lma-ra:offre-1", "themes")
    with pytest.raises(ValueError, match="'valid_from' expects a date"):
        _offer(valid_from="1er mars")


def test_evolve_converts_too() -> None:
    offer = attrs.evolve(_offer(), themes=["emploi"], valid_from="2026-03-01")
    assert offer.themes == ("emploi",)
    assert offer.valid_from == dt.date(2026, 3, 1)
    with pytest.raises(ModelTypeError, match="field 'themes' expects a list of codes"):
        attrs.evolve(offer, themes="emploi")


def test_values_of_the_right_type_are_kept_as_they_are() -> None:
    themes = ("emploi",)
    answers = FrozenDict({"q1": 3})  # the model's mappings are read-only ones
    offer = _offer(themes=themes)
    diagnosis = Diagnosis(id="lma-ra:d-1", association="lma-ra:asso-1", tool="t",
                          tool_version="1", date=dt.date(2026, 3, 1), answers=answers)
    assert offer.themes is themes
    assert diagnosis.answers is answers


def _bundles() -> tuple[Bundle, Bundle]:
    """The same bundle written the model's way and the friendly way."""
    actor = Actor(id="lma-ra:lma", name="LMA", actor_type="reseau_sectoriel",
                  territories=("reg:84",))
    offer = Offer(id="lma-ra:offre-1", actor="lma-ra:lma", title="Accompagnement",
                  themes=("aides_emploi", "gouvernance_projet"), territories=("reg:84",),
                  valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 12, 31))
    strict = Bundle(source=SOURCE, generated_at=WHEN, actors=(actor,), offers=(offer,))
    friendly = Bundle(
        source=SOURCE, generated_at="2026-03-01T09:30:00+01:00",
        actors=[Actor(id="lma-ra:lma", name="LMA", actor_type="reseau_sectoriel",
                      territories=["reg:84"])],
        offers=[Offer(id="lma-ra:offre-1", actor="lma-ra:lma", title="Accompagnement",
                      themes=["aides_emploi", "gouvernance_projet"], territories=["reg:84"],
                      valid_from="2026-01-01", valid_until="2026-12-31")],
    )
    return strict, friendly


def test_check_bundle_and_write_bundle_work_on_a_friendly_bundle(tmp_path: Path) -> None:
    strict, friendly = _bundles()
    assert friendly == strict
    assert check_bundle(friendly) == check_bundle(strict) == []
    write_bundle(strict, tmp_path / "strict.json")
    write_bundle(friendly, tmp_path / "friendly.json")
    assert (tmp_path / "friendly.json").read_bytes() == (tmp_path / "strict.json").read_bytes()


def test_the_fast_structuring_path_still_fills_slots_directly() -> None:
    # The converters must not push the loader of schema-checked data back through __init__.
    assert all(_plain_slots(cls) for cls in MODEL_CLASSES)


def test_a_records_mappings_are_read_only_copies() -> None:
    # Issue 13: a check or an exporter that changes a diagnosis's answers would change what
    # every later reader sees; a caller's dict changed after the record is built, too.
    answers: dict[str, Answer] = {"q1": 3}
    diagnosis = Diagnosis(id="lma-ra:d-1", association="lma-ra:asso-1", tool="t",
                          tool_version="1", date=dt.date(2026, 3, 1), answers=answers,
                          scores={"d1": 50.0}, levels={"d1": "fragile"})
    answers["q1"] = 0
    assert diagnosis.answers == {"q1": 3}
    for mapping in (diagnosis.answers, diagnosis.scores, diagnosis.levels):
        assert isinstance(mapping, FrozenDict) and isinstance(mapping, dict)
        for change in (lambda m: m.__setitem__("x", 1), lambda m: m.__delitem__("q1"),
                       lambda m: m.update(x=1), lambda m: m.pop("q1"), lambda m: m.clear(),
                       lambda m: m.setdefault("x", 1), lambda m: m.popitem()):
            with pytest.raises(TypeError, match="read-only"):
                change(mapping)
    assert pickle.loads(pickle.dumps(diagnosis)) == diagnosis
    assert copy.deepcopy(diagnosis) == diagnosis
    assert orjson.loads(orjson.dumps(diagnosis.answers)) == {"q1": 3}
    assert attrs.evolve(diagnosis, answers={"q1": 1}).answers == FrozenDict({"q1": 1})
