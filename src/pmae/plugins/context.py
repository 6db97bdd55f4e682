"""What exporters and importers declare and get besides the data: options and a warning channel.

An exporter or importer declares its options (:class:`Option`: name, type, help, default);
pmae lists them (``pmae plugins``) and checks what the user gives (:func:`resolve_options`)
before the plugin runs: an unknown option or a value of the wrong type is a usage error
(:class:`OptionError`) that lists the options. While it runs, the plugin reports what its
format could not carry with ``context.warn(message, record=...)``; pmae shows those warnings
after it, counted and named after the plugin (:class:`Notes`, :class:`ExchangeWarning`).
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from pmae.i18n import gettext as _

__all__ = ["ExchangeWarning", "ImportContext", "Notes", "Option", "OptionError",
           "report_notes", "resolve_options", "takes_context"]

#: The types an option may have, by the name ``pmae plugins`` shows.
OPTION_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


def _an(kind: type) -> str:
    return f"an {kind.__name__}" if kind is int else f"a {kind.__name__}"


class ExchangeWarning(UserWarning):
    """What an exporter or importer could not carry (its ``context.warn`` calls), counted and
    named after its plugin: one warning per run of the plugin."""


class OptionError(ValueError):
    """An option the exporter or importer does not declare, or a value of the wrong type; the
    message lists the options it declares (``pmae`` makes it a usage error, exit 2)."""


def _option_check(option: Option, attribute: attrs.Attribute[Any], value: object) -> None:
    if not re.match(r"^[a-z][a-z0-9_-]{0,62}$", option.name):
        raise ValueError(f"option name {option.name!r} must be lower-case letters, digits, "
                         "- or _")
    if option.type not in OPTION_TYPES.values():
        raise ValueError(f"option {option.name!r}: type must be one of "
                         f"{', '.join(OPTION_TYPES)}")
    if not option.help:
        raise ValueError(f"option {option.name!r} needs a help text")
    if option.choices and option.type is not str:
        raise ValueError(f"option {option.name!r}: choices are for str options")
    if option.default is not None:
        try:
            option.convert(option.default)
        except OptionError as error:
            raise ValueError(f"option {option.name!r}: bad default: {error}") from None


@attrs.define(kw_only=True, frozen=True)
class Option:
    """One option of an exporter or importer (``pmae export --option NAME=VALUE``).

    :param type: ``str``, ``int``, ``float`` or ``bool`` (``true``/``false``, ``yes``/``no``,
        ``1``/``0``); the plugin receives the value converted.
    :param default: what the plugin receives when the user gives nothing (``None``: the
        option is then absent from ``context.options``).
    :param choices: the values a ``str`` option may take, if they are few.
    """

    name: str
    type: type = str
    help: str
    default: Any = attrs.field(default=None, validator=_option_check)
    choices: tuple[str, ...] = ()

    def convert(self, value: object) -> Any:
        """``value`` (a string from the command line, or already of the type) as this
        option's type; :class:`OptionError` if it is not one."""
        kind = self.type
        wrong = OptionError(
            (_("option {name}: {value!r} is not {a_type} (true or false)") if kind is bool
             else _("option {name}: {value!r} is not {a_type}")).format(
                name=self.name, value=value, a_type=_an(kind)))
        if isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)):
            result: Any = value
        elif not isinstance(value, str):
            raise wrong
        elif kind is bool and value.lower() in _TRUE + _FALSE:
            result = value.lower() in _TRUE
        elif kind in (int, float):
            try:
                result = kind(value)
            except ValueError:
                raise wrong from None
        else:
            raise wrong
        if self.choices and result not in self.choices:
            raise OptionError(_("option {name}: {value!r} is not one of {choices}").format(
                name=self.name, value=value, choices=", ".join(self.choices)))
        return result

    def describe(self) -> str:
        """``dialect (str: excel, excel-fr; default excel): the CSV dialect`` (one line)."""
        kind = self.type.__name__ + (f": {', '.join(self.choices)}" if self.choices else "")
        default = (_("; default {default!r}").format(default=self.default)
                   if self.default is not None else "")
        return f"{self.name} ({kind}{default}): {self.help}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``pmae plugins --json``)."""
        return {"name": self.name, "type": self.type.__name__, "help": self.help,
                "default": self.default, "choices": list(self.choices)}


def resolve_options(declared: tuple[Option, ...] | None, given: Mapping[str, object], *,
                    what: str) -> dict[str, Any]:
    """The options a plugin receives: ``given`` checked against what it ``declared``.

    An item that declares nothing (``None``: written before options were declared) receives
    ``given`` as it is. Otherwise every given name must be declared and its value of the
    declared type (converted from a string); declared options with a default and not given
    get it.

    :param what: the item, for messages (``the exporter 'hsds'``).
    :raises OptionError: an unknown option or a bad value, with the list of the options.
    """
    if declared is None:
        return dict(given)
    by_name = {option.name: option for option in declared}
    listing = (_("; its options: {options}").format(
                   options="; ".join(o.describe() for o in declared))
               if declared else _("; it takes no option"))
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        raise OptionError(_("unknown option {names} for {what}{listing}").format(
            names=", ".join(unknown), what=what, listing=listing))
    result = {name: option.default for name, option in by_name.items()
              if option.default is not None}
    for name, value in given.items():
        try:
            result[name] = by_name[name].convert(value)
        except OptionError as error:
            raise OptionError(f"{what}: {error}{listing}") from None
    return result


@attrs.define
class Notes:
    """The warnings one run of an exporter or importer gave through ``context.warn``."""

    entries: list[tuple[str, str | None]] = attrs.field(factory=list)

    def warn(self, message: str, *, record: str | None = None) -> None:
        """Note what could not be carried; ``record`` is the id of the record concerned."""
        self.entries.append((str(message), record))

    def summary(self, who: str, limit: int = 10) -> str | None:
        """``<who>: 12 warnings`` and each distinct message, with how many times and for
        which records (the first few); ``None`` without warnings."""
        if not self.entries:
            return None
        grouped: dict[str, list[str | None]] = {}
        for message, record in self.entries:
            grouped.setdefault(message, []).append(record)
        count = len(self.entries)
        lines = [f"{who}: {count} warning{'s' * (count != 1)}:"]
        for message, records in list(grouped.items())[:limit]:
            ids = [r for r in records if r]
            times = f"{len(records)}× " if len(records) > 1 else ""
            where = (f" ({', '.join(ids[:3])}{' …' if len(ids) > 3 else ''})" if ids else "")
            lines.append(f"  - {times}{message}{where}")
        if len(grouped) > limit:
            lines.append(f"  - and {len(grouped) - limit} other kinds of warning")
        return "\n".join(lines)


@attrs.define(kw_only=True, frozen=True)
class ImportContext:
    """What an importer that takes a third argument gets: ``read(path, options, context)``.

    ``session`` is the run's :class:`pmae.Session` (vocabularies, territories, date,
    language); ``options`` the checked options (as the second argument); ``warn`` reports what
    the source holds that the bundle cannot carry. Importers written as ``read(path,
    options)`` keep working: pmae passes the context only to those that take it.
    """

    session: Any
    options: Mapping[str, Any] = attrs.field(factory=dict)
    notes: Notes = attrs.field(factory=Notes, eq=False, repr=False)

    def warn(self, message: str, *, record: str | None = None) -> None:
        """Report something the import could not carry (``record``: the id concerned)."""
        self.notes.warn(message, record=record)


def report_notes(notes: Notes, who: str, on_warnings: Callable[[str], None] | None) -> None:
    """Hand the summary of ``notes`` (if any) to ``on_warnings``, else warn with it."""
    summary = notes.summary(who)
    if summary is None:
        return
    if on_warnings is not None:
        on_warnings(summary)
    else:
        warnings.warn(summary, ExchangeWarning, stacklevel=3)


def takes_context(read: Callable[..., object]) -> bool:
    """Whether an importer's ``read`` takes a third argument, the context (``read(path,
    options, context)``), or is of the first form, ``read(path, options)``."""
    try:
        parameters = list(inspect.signature(read).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: the first form
        return False
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return True
    positional = [p for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                      inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3
