"""A pmae plugin that is broken on purpose, so pmae's tests can prove that it is isolated.

Never install it outside a test environment. ``PMAE_BROKEN_MODE`` chooses how it breaks:

- ``raise`` (the default): :func:`pmae_register_exporters` registers one valid exporter, then
  raises — pmae must keep none of this plugin's items;
- ``import``: importing the module raises :class:`ImportError`;
- ``unknown-hook``: the module implements ``pmae_register_exporterz``, a misspelled hook;
- ``invalid``: it registers an exporter named ``"Bad Name!"``;
- ``ok``: it registers its one valid exporter and nothing goes wrong (the control case).

``import`` and ``unknown-hook`` act when the module is imported; the others when the hook runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO, Any

from pmae.plugins import ExportContext, Exporter, hookimpl

#: The modes this plugin knows (see the module docs).
MODES = ("raise", "import", "unknown-hook", "invalid", "ok")


def mode() -> str:
    """The breakage asked for by ``PMAE_BROKEN_MODE`` (``raise`` when unset)."""
    value = os.environ.get("PMAE_BROKEN_MODE", "raise") or "raise"
    if value not in MODES:
        raise ValueError(f"PMAE_BROKEN_MODE={value!r}: use one of {', '.join(MODES)}")
    return value


if mode() == "import":
    raise ImportError("pmae-broken cannot be imported (PMAE_BROKEN_MODE=import)")


def export_text(bundle: Any, stream: IO[bytes], context: ExportContext) -> None:
    """A valid exporter: one line with the number of records."""
    stream.write(f"{sum(bundle.counts().values())} records\n".encode())


VALID_EXPORTER = Exporter(name="broken-text", title="Broken plugin's text count",
                          export=export_text, suffix=".txt")


if mode() == "unknown-hook":

    @hookimpl
    def pmae_register_exporterz(register: Callable[[Exporter], None]) -> None:
        """Misspelled on purpose: pmae must refuse the plugin and list the hooks it knows."""
        register(VALID_EXPORTER)

else:

    @hookimpl
    def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
        """Register one valid exporter, then break the way ``PMAE_BROKEN_MODE`` says."""
        current = mode()
        if current == "invalid":
            register(Exporter(name="Bad Name!", title="Bad name", export=export_text))
            return
        register(VALID_EXPORTER)
        if current == "raise":
            raise RuntimeError("pmae-broken fails on purpose (PMAE_BROKEN_MODE=raise)")
