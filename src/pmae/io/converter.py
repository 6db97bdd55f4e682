"""The one converter between JSON-ready data and the model (cattrs).

Made by a factory, never the global cattrs converter, so plugins cannot change how pmae reads
bundles by registering hooks behind its back.

Structuring is strict: a string is never turned into a number or a boolean (``"false"`` is not
``True``), unknown keys are refused, datetimes need a time zone. Unstructuring leaves out fields
that hold ``None`` or an empty collection, and writes every other field, defaults included, so a
bundle says everything it means without relying on each reader knowing the defaults.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import functools
import types
import typing
from typing import Any

import attrs
import cattrs
from cattrs.errors import IterableValidationNote
from cattrs.gen import make_dict_structure_fn
from cattrs.preconf.orjson import make_converter as _make_orjson_converter

from pmae.model import COLLECTIONS, Bundle, Person, Provenance, Source
from pmae.model.fields import FrozenDict, parse_datetime
from pmae.model.records import Answer, Registration, Speaker, Workshop

T = typing.TypeVar("T")

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
        return value
    raise TypeError(f"expected a string, got {_describe(value)}")


def _strict_int(value: Any, _: type) -> int:
    if value.__class__ is int:
        return value
    # JSON Schema's "integer" is any number with no fraction (2.0 is 2): the model agrees.
    if value.__class__ is float and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {_describe(value)}")


def _strict_float(value: Any, _: type) -> float:
    # JSON has one number type: 3 is as good a float as 3.0.
    if value.__class__ is float or value.__class__ is int:
        return float(value)
    raise TypeError(f"expected a number, got {_describe(value)}")


def _strict_bool(value: Any, _: type) -> bool:
    if value.__class__ is bool:
        return value
    raise TypeError(f"expected true or false, got {_describe(value)}")


def _structure_date(value: Any, _: type) -> dt.date:
    if value.__class__ is not str or len(value) != 10:
        raise ValueError(f"expected a date YYYY-MM-DD, got {_describe(value)}")
    return dt.date.fromisoformat(value)


def _structure_datetime(value: Any, _: type) -> dt.datetime:
    if value.__class__ is not str:
        raise ValueError(f"expected a date and time, got {_describe(value)}")
    return parse_datetime(value)


def _structure_answer(value: Any, _: type) -> Answer:
    if value is None or value.__class__ in (int, float, str):
        return value
    raise TypeError(f"expected a number, a string or null, got {_describe(value)}")


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = typing.get_args(type_)
    return typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _list_only(converter: cattrs.Converter) -> Any:
    def factory(type_: Any) -> Any:
        (item_type, _) = typing.get_args(type_)
        handler = converter.get_structure_hook(item_type)
        detailed = converter.detailed_validation

        def structure(value: Any, _: Any) -> tuple[Any, ...]:
            if value.__class__ is not list:
                raise TypeError(f"expected a list, got {_describe(value)}")
            if not detailed:
                return tuple([handler(item, item_type) for item in value])
            errors: list[Exception] = []
            result = []
            for index, item in enumerate(value):
                try:
                    result.append(handler(item, item_type))
                except Exception as error:  # noqa: BLE001 - collected with its index
                    note = IterableValidationNote(f"Structuring {type_} @ index {index}",
                                                  index, item_type)
                    error.__notes__ = [*getattr(error, "__notes__", []), note]
                    errors.append(error)
            if errors:
                raise cattrs.IterableValidationError(
                    f"While structuring {type_!r}", errors, type_)
            return tuple(result)

        return structure

    return factory


def _unstructure_datetime(value: dt.datetime) -> str:
    return value.isoformat()


def _unstructure_date(value: dt.date) -> str:
    return value.isoformat()


def _make_unstructure_fn(cls: type, converter: cattrs.Converter) -> Any:
    """An unstructure function that writes fields in the model's order.

    Fields whose default is ``None`` or empty are left out when they hold that; every other
    field is written, defaults included. (cattrs' own generator moves the fields it may omit
    after the others, which put ``visibility`` between ``title`` and ``description``.)
    """
    hints = typing.get_type_hints(cls)
    lines = ["def unstructure(o):", "    d = {}"]
    scope: dict[str, Any] = {}
    for field in attrs.fields(cls):
        name, hint = field.name, hints[field.name]
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            omit = "empty" if not default.factory() else None
        else:
            omit = "none" if default is None else "empty" if default == () else None
        base = hint
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            base = args[0] if len(args) == 1 else hint
        if base in (str, int, float, bool) or base == Answer:
            expression = "v"
        elif _is_homogeneous_tuple(base) and typing.get_args(base)[0] in (str, int, float):
            expression = "list(v)"
        else:
            scope[f"h_{name}"] = converter.get_unstructure_hook(base)
            expression = f"h_{name}(v)"
        lines.append(f"    v = o.{name}")
        if omit == "none":
            lines += ["    if v is not None:", f"        d[{name!r}] = {expression}"]
        elif omit == "empty":
            lines += ["    if v:", f"        d[{name!r}] = {expression}"]
        else:
            lines.append(f"    d[{name!r}] = {expression}")
    lines.append("    return d")
    exec("\n".join(lines), scope)  # code built above from the model's fields, no input
    function = scope["unstructure"]
    function.__qualname__ = f"unstructure_{cls.__name__}"
    return function


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
    # Answer is a union: a plain register_structure_hook is not consulted for dict values.
    converter.register_structure_hook_func(lambda t: t == Answer, _structure_answer)
    # A list field must be given a list: cattrs would split a string into its characters.
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _list_only(converter))
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
    for cls in MODEL_CLASSES:  # leaves first, so nested classes' functions exist when needed
        converter.register_unstructure_hook(cls, _make_unstructure_fn(cls, converter))
    return converter


@functools.cache
def default_converter() -> cattrs.Converter:
    """The shared fast converter (built once)."""
    return make_converter()


@functools.cache
def detailed_converter() -> cattrs.Converter:
    """The shared converter that reports every structuring error with its path."""
    return make_converter(detailed_validation=True)


# --- structuring schema-checked data ---------------------------------------------------------
#
# Once the JSON Schema layer has accepted a document, every string field holds a string, every
# integer an integer, every object only known keys (tests/test_schema_checked.py proves the
# schemas and the model agree). Re-checking each value in a Python hook is then pure cost, and
# at national scale it is most of the structuring time. The functions below are generated
# straight-line code: they copy what the schema guaranteed, convert what the model needs
# converted (dates, datetimes, ints given for floats, lists to tuples) and nothing else. They
# are only ever called on schema-checked data; anything else goes through the strict converter.

_DATE_CACHE: dict[str, dt.date] = {}


def _cached_date(value: str) -> dt.date:
    # A national bundle holds a million dates but only a few thousand distinct days: sharing one
    # immutable date object per day saves the parsing and 32 bytes a record.
    found = _DATE_CACHE.get(value)
    if found is None:
        found = _structure_date(value, dt.date)
        if len(_DATE_CACHE) > 100_000:  # bound the cache whatever the data holds
            _DATE_CACHE.clear()
        _DATE_CACHE[value] = found
    return found


def _strict_datetime(value: Any) -> dt.datetime:
    return _structure_datetime(value, dt.datetime)


def _exact_int(value: Any) -> int:
    # JSON Schema's "integer" accepts 3.0, and so does the model: it holds the integer 3.
    if value.__class__ is int:
        return value
    return _strict_int(value, int)


_PASSTHROUGH: frozenset[Any] = frozenset({str, bool, Answer, str | None, bool | None})


def _value_expression(annotation: Any, value: str) -> str:
    """Python source that turns the schema-checked ``value`` (source, evaluated once) into
    ``annotation``."""
    if annotation in _PASSTHROUGH:
        return value
    if annotation in (int, int | None):
        return f"_int({value})"
    if annotation in (float, float | None):
        return f"float({value})"  # JSON 3 is the float 3.0; float(x) of a float is x itself
    if annotation in (dt.date, dt.date | None):
        return f"_date({value})"
    if annotation in (dt.datetime, dt.datetime | None):
        return f"_datetime({value})"
    if attrs.has(annotation):
        return f"{_function_name(annotation)}({value})"
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        inner = [a for a in arguments if a is not type(None)]
        if len(inner) == 1 and attrs.has(inner[0]):
            return f"{_function_name(inner[0])}({value})"
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        item = _value_expression(arguments[0], "e")
        return f"tuple({value})" if item == "e" else f"tuple([{item} for e in {value}])"
    if origin is dict and arguments[0] is str:
        item = _value_expression(arguments[1], "e")
        return f"dict({value})" if item == "e" else f"{{k: {item} for k, e in {value}.items()}}"
    if origin is collections.abc.Mapping and arguments[0] is str:
        # A record's mappings are read-only (pmae.model.fields.FrozenDict), as its converter
        # would make them.
        entry = _value_expression(arguments[1], "e")
        pairs = value if entry == "e" else f"{{k: {entry} for k, e in {value}.items()}}"
        return f"_frozen({pairs})"
    raise TypeError(f"no schema-checked structuring for {annotation!r}")


def _function_name(cls: type) -> str:
    return f"_structure_{cls.__name__}"


def _plain_slots(cls: type) -> bool:
    """Whether instances may be filled slot by slot instead of through ``__init__``.

    True for the model's classes (slotted, no validators or post-init): setting the slots
    directly gives the same object for about half the cost of attrs' frozen ``__init__``. The
    model's converters (``pmae.model.fields``) are skipped on purpose: they only turn friendly
    Python values (lists, ISO strings) into the model's types and refuse wrong types, and the
    values generated here already have the model's types, checked by the schema.
    """
    return (
        "__slots__" in cls.__dict__
        and not hasattr(cls, "__attrs_post_init__")
        and not hasattr(cls, "__attrs_pre_init__")
        and all(f.validator is None and f.init
                and f.alias == f.name for f in attrs.fields(cls))
    )


def _structure_source(cls: type, names: dict[str, Any]) -> str:
    hints = typing.get_type_hints(cls)
    prefix = f"_{cls.__name__}_"
    values = []
    for field in attrs.fields(cls):
        key = field.alias
        raw = f"o[{key!r}]"
        expression = _value_expression(hints[field.name], raw)
        default = field.default
        if default is attrs.NOTHING:
            value = expression  # a missing key raises KeyError: the strict path explains it
        elif expression == raw and (default is None or type(default) in (str, int, bool)):
            value = f"get({key!r}, {default!r})"
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            names[f"{prefix}factory_{key}"] = default.factory
            value = f"({expression} if {key!r} in o else {prefix}factory_{key}())"
        else:
            names[f"{prefix}default_{key}"] = default
            value = f"({expression} if {key!r} in o else {prefix}default_{key})"
        values.append((field.name, value))
    lines = [f"def {_function_name(cls)}(o):", "    get = o.get"]
    if _plain_slots(cls):
        lines.append(f"    x = _new(_cls_{cls.__name__})")
        for name, value in values:
            names[f"{prefix}set_{name}"] = getattr(cls, name).__set__
            lines.append(f"    {prefix}set_{name}(x, {value})")
        lines.append("    return x")
    else:
        lines.append(f"    return _cls_{cls.__name__}(")
        lines.extend(f"        {name}={value}," for name, value in values)
        lines.append("    )")
    return "\n".join(lines) + "\n"


@functools.cache
def _schema_checked_functions() -> dict[type, Any]:
    names: dict[str, Any] = {
        "_date": _cached_date, "_datetime": _strict_datetime, "_int": _exact_int,
        "_new": object.__new__, "_frozen": FrozenDict,
    }
    sources = []
    for cls in MODEL_CLASSES:
        names[f"_cls_{cls.__name__}"] = cls
        sources.append(_structure_source(cls, names))
    source = "\n".join(sources)
    namespace = dict(names)
    exec(compile(source, "<pmae schema-checked structuring>", "exec"), namespace)
    return {cls: namespace[_function_name(cls)] for cls in MODEL_CLASSES}


def structure_schema_checked(data: Any, cls: type[T]) -> T:
    """JSON-ready data that **the JSON Schema layer has accepted** -> model value, fast.

    Values are not checked again (the schema did it); only conversions the model needs are
    made. Called on anything else, the result is undefined: use :func:`structure`, or the
    pipeline, which runs the schema first and falls back to the strict converter on any error.
    """
    return typing.cast(T, _schema_checked_functions()[cls](data))


def unstructure(value: Any) -> Any:
    """Model value -> JSON-ready data."""
    return default_converter().unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """JSON-ready data -> model value (strict; raises cattrs errors with paths on bad data)."""
    return detailed_converter().structure(data, cls)
