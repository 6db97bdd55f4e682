"""A griffe extension for the documentation site: pmae's docstrings in Markdown.

pmae's docstrings are written for ``help()`` and for Sphinx readers: they name other objects
with reStructuredText roles (``:func:`session```, ``:class:`~pmae.model.Bundle```) and end a
paragraph with ``::`` before an example. mkdocstrings renders Markdown, where those would show
as ``:func:`` before the name and a stray colon; this extension rewrites both in the docstrings
it loads (the source files are not touched): a role becomes a code span, ``::`` a colon.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

# :func:`name`, :class:`~pmae.model.Bundle`, :meth:`Session.evolve` ...
_ROLE = re.compile(r":(?:attr|class|data|exc|func|meth|mod|obj):`~?([^`]+)`")
# "for example::" at the end of a line introduces an indented example.
_LITERAL = re.compile(r"(?<=\S)::$", re.MULTILINE)


def markdown(text: str) -> str:
    """The docstring ``text`` with its reStructuredText roles and ``::`` made Markdown."""
    return _LITERAL.sub(":", _ROLE.sub(r"`\1`", text))


class RstRoles(griffe.Extension):
    """Rewrite the docstring of every object griffe loads (see :func:`markdown`)."""

    def on_instance(self, *, node: Any, obj: griffe.Object, agent: Any, **kwargs: Any) -> None:
        """Called by griffe for each module, class, function and attribute it visits."""
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
