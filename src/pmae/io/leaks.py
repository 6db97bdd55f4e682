"""What an exporter wrote holds nothing its audience may not see: the core's check after it.

The audience filter (:mod:`pmae.io.audience`) runs before an exporter and hands it the visible
part of the bundle. An exporter is a plugin's code, though: through a reference kept from
elsewhere (its plugin's check saw the whole bundle at validation) it could still write records
the audience may not see. So after it ran, before its output is moved into place, pmae reads
what it wrote and looks for the **ids of the records the filter hid** and the **e-mail
addresses it removed**: any one of them there and the export fails, nothing is written.

What is read: every file written (every file of a folder export), and each member of a file
that is a zip archive (``.xlsx``, ``.zip``). A token is an id when it is one of the hidden ids,
whole (``essai:asso-1`` is found in ``"essai:asso-1"`` and ``essai:asso-1,``, not in
``essai:asso-12``). An exporter that transforms ids (hashes, URL-encoding) escapes this check:
it guards against mistakes and naive leaks, not against a plugin determined to cheat, which
runs with the user's rights anyway (docs/plugins/guarantees.md).
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import attrs

from pmae.model import Bundle

__all__ = ["Secrets", "find_leaks", "leaks_in_files", "secrets_of"]

#: A run of the characters ids and e-mail addresses are made of (``:`` and ``@`` included).
_RUN = re.compile(rb"[A-Za-z0-9._~:@+%-]+")
#: The characters of a run, to cut a chunk after its last character that is none of them.
_RUN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:@+%-"
_CHUNK = 8 << 20


@attrs.define(kw_only=True, frozen=True)
class Secrets:
    """What the audience may not see: ids of hidden records, removed e-mail addresses."""

    ids: frozenset[bytes]
    emails: frozenset[bytes]

    def __bool__(self) -> bool:
        return bool(self.ids or self.emails)


def _emails(bundle: Bundle) -> set[str]:
    found = {bundle.source.contact_email}
    found.update(p.source.contact_email for p in bundle.provenance)
    for actor in bundle.actors:
        found.add(actor.email)
        found.update(contact.email for contact in actor.contacts)
    for meeting in bundle.meetings:
        found.update(s.person.email for s in meeting.speakers if s.person is not None)
    found.discard(None)
    return {email.lower() for email in found if email}


def secrets_of(bundle: Bundle, visible: Bundle) -> Secrets:
    """What ``bundle`` holds and ``visible`` (its filtered part) does not."""
    shown = {record.id for _, record in visible.records()}
    hidden = {record.id for _, record in bundle.records()} - shown
    emails = _emails(bundle) - _emails(visible)
    return Secrets(ids=frozenset(i.encode() for i in hidden),
                   emails=frozenset(e.encode() for e in emails))


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """``stream`` in pieces cut between runs, so that no id is split across two."""
    carry = b""
    while chunk := stream.read(_CHUNK):
        data = carry + chunk
        cut = len(data.rstrip(_RUN_BYTES))
        if cut == 0 and len(data) < 8 * _CHUNK:  # one run so far: wait for its end
            carry = data
            continue
        cut = cut or len(data)  # a run of 64 MB is no id: cut it anywhere
        yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def find_leaks(chunks: Iterable[bytes], secrets: Secrets) -> set[str]:
    """The hidden ids and removed addresses found in ``chunks``."""
    found: set[bytes] = set()
    for chunk in chunks:
        for run in _RUN.findall(chunk):
            parts = run.split(b":")
            for part in parts:
                if b"@" in part and part.rstrip(b".").lower() in secrets.emails:
                    found.add(part.rstrip(b".").lower())
            for left, right in itertools.pairwise(parts):
                candidate = left + b":" + right
                if candidate in secrets.ids:
                    found.add(candidate)
                elif (trimmed := candidate.rstrip(b"._~-")) in secrets.ids:
                    found.add(trimmed)
    return {leak.decode() for leak in found}


def _scan_file(stream: IO[bytes], secrets: Secrets) -> set[str]:
    stream.seek(0)
    is_zip = stream.read(4) == b"PK\x03\x04"
    stream.seek(0)
    if not is_zip:
        return find_leaks(_chunks(stream), secrets)
    found: set[str] = set()
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        stream.seek(0)
        return find_leaks(_chunks(stream), secrets)
    with archive:
        for member in archive.infolist():
            with archive.open(member) as inner:
                found |= find_leaks(_chunks(inner), secrets)
    return found


def leaks_in_files(paths: Iterable[Path | IO[bytes]], secrets: Secrets) -> set[str]:
    """The hidden ids and removed addresses found in the files (paths or open binary files,
    readable and seekable) an exporter wrote; a zip archive is read member by member."""
    found: set[str] = set()
    if not secrets:
        return found
    for item in paths:
        if isinstance(item, Path):
            with item.open("rb") as stream:
                found |= _scan_file(stream, secrets)
        else:
            found |= _scan_file(item, secrets)
    return found

