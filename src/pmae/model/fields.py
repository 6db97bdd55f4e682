"""Friendly construction of the model: attrs converters for shape and type, and their errors.

A developer who builds records in Python writes ordinary Python: a list where the model keeps a
tuple, an ISO string where it keeps a date. The converters here turn those into the model's
types, and refuse what cannot be meant (a string where a list of codes is expected would
otherwise become a tuple of characters; a number where a string is expected would only fail
much later, far from the mistake), with an error that names the record, its id and the field.

Why converters and not validators: the conventions keep *constraints on values* (patterns,
ranges, known codes) in the JSON Schemas and the semantic checks, which report them as issues
with the JSON path of the bad field. What a converter checks here is only the *shape and type*
a Python value must have to be a model value at all: a programming error, raised at once as
:class:`ModelTypeError`, never a data issue.

Every converter is the identity on a value that already has the model's type (it returns the
very object it was given), so records built from loaded data are unchanged; the loader's fast
path for schema-checked data bypasses ``__init__`` altogether (see ``pmae.io.converter``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn, TypeVar

import attrs

T = TypeVar("T")
C = TypeVar("C", bound=type)

#: One answer of a diagnostic questionnaire: a scale step, a number, a code, or no answer.
Answer = int | float | str | None


class ModelTypeError(TypeError, ValueError):
    """A model value built from a value of the wrong shape or type: names record, id and field.

    It is both a ``TypeError`` (a list of codes given as a string) and a ``ValueError`` (a date
    string that is not a date), so callers may catch either.
    """

    def __init__(self, record: str, record_id: str | None, field: str, problem: str) -> None:
        self.record = record
        self.record_id = record_id
        self.field = field
        self.problem = problem
        where = f"{record} {record_id!r}" if record_id is not None else record
        super().__init__(f"{where}: field {field!r} {problem}")


class _Refused(Exception):
    """Raised by a converter; the constructor turns it into a :class:`ModelTypeError`."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _describe(value: object) -> str:
    if isinstance(value, str):
        return f"the string {value!r:.60}"
    if value is None:
        return "None"
    return f"{type(value).__name__} {value!r:.60}"


def _refuse(expected: str, value: object, where: str = "") -> _Refused:
    return _Refused(f"expects {expected}, got {_describe(value)}{where}")


# --- scalars ------------------------------------------------------------------------------------


# Each converter tests the exact class first: records are built by the million, and
# ``value.__class__ is str`` costs a fraction of ``isinstance`` against a union or an ABC.


def text(value: str) -> str:
    """A string field: refuses anything but a string."""
    if value.__class__ is str or isinstance(value, str):
        return value
    raise _refuse("a string", value)


def optional_text(value: str | None) -> str | None:
    """An optional string field."""
    if value is None or value.__class__ is str:
        return value
    return text(value)


def integer(value: int) -> int:
    """An integer field: refuses booleans and floats (the schema says integer)."""
    if value.__class__ is int or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _refuse("an integer", value)


def optional_integer(value: int | None) -> int | None:
    """An optional integer field."""
    return value if value is None else integer(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def optional_number(value: float | None) -> float | None:
    """An optional number field: an int is a number too (kept as given, as JSON has one type)."""
    if value is None or _is_number(value):
        return value
    raise _refuse("a number", value)


def flag(value: bool) -> bool:
    """A boolean field: refuses 0, 1 and "false" (which Python would take as true)."""
    if isinstance(value, bool):
        return value
    raise _refuse("true or false", value)


def optional_flag(value: bool | None) -> bool | None:
    """An optional boolean field."""
    return value if value is None else flag(value)


# --- dates ----------------------------------------------------------------------------------------


def parse_date(value: str) -> dt.date:
    """``YYYY-MM-DD`` -> date; raises ValueError for anything else (as the schema's ``date``)."""
    if len(value) != 10:
        raise ValueError(f"not a date YYYY-MM-DD: {value!r}")
    return dt.date.fromisoformat(value)


def parse_datetime(value: str) -> dt.datetime:
    """An RFC 3339 date and time -> aware datetime; raises ValueError without a time zone."""
    # RFC 3339 allows a lower-case t and z; Python's parser wants them upper-case.
    result = dt.datetime.fromisoformat(value.upper())
    if result.tzinfo is None:
        raise ValueError(f"date and time without a time zone: {value!r}")
    return result


def date(value: dt.date | str) -> dt.date:
    """A date field: a date, or an ISO string ``YYYY-MM-DD``; a datetime is refused (the bundle
    would carry its time)."""
    if value.__class__ is dt.date or (
        isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    ):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            pass
    raise _refuse("a date (datetime.date or 'YYYY-MM-DD')", value)


def optional_date(value: dt.date | str | None) -> dt.date | None:
    """An optional date field."""
    return value if value is None else date(value)


def datetime(value: dt.datetime | str) -> dt.datetime:
    """A date-and-time field: an aware datetime or an RFC 3339 string with its time zone."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            return value
        raise _Refused(f"expects a date and time with a time zone, got {value.isoformat()!r}")
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            pass
    raise _refuse("a date and time with a time zone (datetime or ISO 8601 string)", value)


def optional_datetime(value: dt.datetime | str | None) -> dt.datetime | None:
    """An optional date-and-time field."""
    return value if value is None else datetime(value)


# --- collections -----------------------------------------------------------------------------


def _sequence(value: Any, expected: str) -> tuple[Any, ...]:
    # A string is iterable, but never meant as a list: it would become a tuple of characters.
    if isinstance(value, str | bytes | Mapping):
        raise _refuse(expected, value)
    if value.__class__ is tuple:
        return value
    try:
        return tuple(value)
    except TypeError:
        raise _refuse(expected, value) from None


def codes(value: Iterable[str]) -> tuple[str, ...]:
    """A list of codes or ids: any iterable of strings but a string itself -> tuple."""
    if value.__class__ is tuple:
        for item in value:
            if item.__class__ is not str:
                break
        else:
            return value
    result = _sequence(value, "a list of codes")
    for index, item in enumerate(result):
        if not isinstance(item, str):
            raise _refuse("a list of codes", item, f" at index {index}")
    return result


def instances(value: Iterable[T], cls: type[T]) -> tuple[T, ...]:
    """A list of ``cls`` values: any iterable of them but a string -> tuple."""
    if value.__class__ is tuple:
        for item in value:
            if item.__class__ is not cls:
                break
        else:
            return value
    expected = f"a list of {cls.__name__}"
    result = _sequence(value, expected)
    for index, item in enumerate(result):
        if not isinstance(item, cls):
            raise _refuse(expected, item, f" at index {index}")
    return result


def instance(value: T, cls: type[T]) -> T:
    """A value that must be a ``cls`` (a nested model value)."""
    if isinstance(value, cls):
        return value
    raise _refuse(f"a {cls.__name__}", value)


V = TypeVar("V")


class FrozenDict(dict[str, V]):
    """The read-only mapping inside a record (a diagnosis's answers, scores and levels).

    Records are frozen and their lists are tuples; their mappings are these, so that no
    plugin (a check, an exporter) and no analysis can change what the others see. It is a
    ``dict`` for everything that reads one (``json``, ``orjson``, ``==``, ``pickle``); every
    method that would change it raises :class:`TypeError`. Build a changed record with
    ``attrs.evolve(record, answers={...})``.
    """

    __slots__ = ()

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a record's mapping is read-only: build a new record with "
                        "attrs.evolve(record, field={...})")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[type[FrozenDict[V]], tuple[dict[str, V]]]:
        # pickle and copy would otherwise refill it item by item, through __setitem__.
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict[V]:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> FrozenDict[V]:
        # The model keeps only immutable scalars in it (answers, scores, level codes).
        return self


def _mapping(value: Any, expected: str, accepts: Callable[[Any], bool]) -> FrozenDict[Any]:
    if value.__class__ is FrozenDict:
        result: FrozenDict[Any] = value
    elif value.__class__ is dict or isinstance(value, Mapping):  # the ABC check is slow
        result = FrozenDict(value)
    else:
        raise _refuse(expected, value)
    for key, item in result.items():
        if not isinstance(key, str) or not accepts(item):
            raise _refuse(expected, item, f" for key {key!r}")
    return result


def answers(value: Mapping[str, Answer]) -> Mapping[str, Answer]:
    """Answers by question id: numbers, strings or None (read-only, a :class:`FrozenDict`)."""
    return _mapping(value, "a dict of answers (number, string or None)",
                    lambda item: item is None or isinstance(item, str) or _is_number(item))


def scores(value: Mapping[str, float]) -> Mapping[str, float]:
    """Scores by dimension: numbers (read-only, a :class:`FrozenDict`)."""
    return _mapping(value, "a dict of numbers", _is_number)


def levels(value: Mapping[str, str]) -> Mapping[str, str]:
    """Levels by dimension: codes (read-only, a :class:`FrozenDict`)."""
    return _mapping(value, "a dict of codes", lambda item: isinstance(item, str))


# --- the constructor that names the record and the field -------------------------------------


def named_errors(cls: C) -> C:
    """Class decorator: a converter's refusal becomes a :class:`ModelTypeError` naming the record
    class, its id when known, and the field.

    Converters do not know their field or record; on the (rare) error path the constructor runs
    them again field by field to find the one at fault, so the common path costs one call.
    """
    init = vars(cls)["__init__"]
    fields = attrs.fields(cls)

    def locate(kwargs: dict[str, Any], refused: _Refused) -> ModelTypeError:
        record_id = kwargs.get("id")
        if not isinstance(record_id, str):
            record_id = None
        for field in fields:
            if field.alias not in kwargs or field.converter is None:
                continue
            try:
                field.converter(kwargs[field.alias])
            except _Refused as found:
                return ModelTypeError(cls.__name__, record_id, field.name, found.problem)
        return ModelTypeError(cls.__name__, record_id, "?", refused.problem)

    @functools.wraps(init)
    def __init__(self: Any, **kwargs: Any) -> None:
        try:
            init(self, **kwargs)
        except _Refused as refused:
            raise locate(kwargs, refused) from None

    setattr(cls, "__init__", __init__)  # noqa: B010 - mypy refuses assigning a method
    return cls
