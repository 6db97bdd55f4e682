"""The one converter between JSON-ready data and the model (cattrs).

Made by a factory, never the global cattrs converter, so plugins cannot change how pmae reads
bundles by registering hooks behind its back.

Structuring is strict: a string is never turned into a number or a boolean (``"false"`` is not
``True``), unknown keys are refused, datetimes need a time zone. Unstructuring leaves out fields
that hold ``None`` or an empty collection, and writes every other field, defaults included, so a
bundle says everything it means without relying on each reader knowing the defaults.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.orjson import make_converter as _make_orjson_converter

from pmae.model import COLLECTIONS, Bundle, Person, Provenance, Source
from pmae.model.records import Answer, Registration, Speaker, Workshop

#: Every attrs class of the model, leaves first.
MODEL_CLASSES: tuple[type, ...] = (
    Person,
    Source,
    Provenance,
    Speaker,
    Workshop,
    Registration,
    *COLLECTIONS.values(),
    Bundle,
)


def _describe(value: object) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r:.60}"


def _strict_str(value: Any, _: type) -> str:
    if value.__class__ is str:
        return typing.cast(str, value)
    raise TypeError(f"expected a string, got {_describe(value)}")


def _strict_int(value: Any, _: type) -> int:
    if value.__class__ is int:
        return typing.cast(int, value)
    raise TypeError(f"expected an integer, got {_describe(value)}")


def _strict_float(value: Any, _: type) -> float:
    # JSON has one number type: 3 is as good a float as 3.0.
    if value.__class__ is float or value.__class__ is int:
        return float(value)
    raise TypeError(f"expected a number, got {_describe(value)}")


def _strict_bool(value: Any, _: type) -> bool:
    if value.__class__ is bool:
        return typing.cast(bool, value)
    raise TypeError(f"expected true or false, got {_describe(value)}")


def _structure_date(value: Any, _: type) -> dt.date:
    if value.__class__ is not str or len(value) != 10:
        raise ValueError(f"expected a date YYYY-MM-DD, got {_describe(value)}")
    return dt.date.fromisoformat(value)


def _structure_datetime(value: Any, _: type) -> dt.datetime:
    if value.__class__ is not str:
        raise ValueError(f"expected a date and time, got {_describe(value)}")
    result = dt.datetime.fromisoformat(value)
    if result.tzinfo is None:
        raise ValueError(f"date and time without a time zone: {value!r}")
    return result


def _structure_answer(value: Any, _: type) -> Answer:
    if value is None or value.__class__ in (int, float, str):
        return typing.cast(Answer, value)
    raise TypeError(f"expected a number, a string or null, got {_describe(value)}")


def _unstructure_datetime(value: dt.datetime) -> str:
    return value.isoformat()


def _unstructure_date(value: dt.date) -> str:
    return value.isoformat()


def _omit_if_empty(cls: type) -> dict[str, Any]:
    """Per-field overrides: leave out fields whose default is None or empty, keep the others."""
    overrides: dict[str, Any] = {}
    for field in attrs.fields(cls):
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            empty = not default.factory()  # type: ignore[attr-defined]
        else:
            empty = default is None or default == ()
        overrides[field.name] = override(omit_if_default=empty)
    return overrides


def make_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """A fresh converter for the pmae model.

    :param detailed_validation: collect every error with its path (slower); pmae structures
        with the fast converter first and only asks the detailed one where that fails.
    """
    converter = _make_orjson_converter(
        forbid_extra_keys=True,
        detailed_validation=detailed_validation,
        prefer_attrib_converters=False,
    )
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(dt.date, _structure_date)
    converter.register_structure_hook(dt.datetime, _structure_datetime)
    converter.register_structure_hook(Answer, _structure_answer)
    converter.register_unstructure_hook(dt.datetime, _unstructure_datetime)
    converter.register_unstructure_hook(dt.date, _unstructure_date)
    for cls in MODEL_CLASSES:
        converter.register_structure_hook(
            cls,
            make_dict_structure_fn(
                cls, converter, _cattrs_forbid_extra_keys=True,
                _cattrs_detailed_validation=detailed_validation,
            ),
        )
        converter.register_unstructure_hook(
            cls, make_dict_unstructure_fn(cls, converter, **_omit_if_empty(cls))
        )
    return converter


@functools.cache
def default_converter() -> cattrs.Converter:
    """The shared fast converter (built once)."""
    return make_converter()


@functools.cache
def detailed_converter() -> cattrs.Converter:
    """The shared converter that reports every structuring error with its path."""
    return make_converter(detailed_validation=True)


def unstructure(value: Any) -> Any:
    """Model value -> JSON-ready data."""
    return default_converter().unstructure(value)


T = typing.TypeVar("T")


def structure(data: Any, cls: type[T]) -> T:
    """JSON-ready data -> model value (strict; raises cattrs errors with paths on bad data)."""
    return detailed_converter().structure(data, cls)
