"""Atomic writes: every file and folder pmae writes appears whole, or not at all.

A file goes to a temporary file in the same folder, is flushed to disk, then replaces the
target in one step. A folder is filled beside the target, then exchanged with it in one step
(``renameat2(RENAME_EXCHANGE)`` on Linux), so at every moment the target path holds the old
folder or the new one. An interrupted run leaves the old output or the new one, never half of
one.

A run killed outright (SIGKILL, a power cut) cannot remove its temporary files. Their names
carry the id of the process that made them (``.<target>.pmae-<pid>.<random>.tmp``), so the next
write beside the same target recognises those of a process that no longer exists and removes
them.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final

__all__ = ["atomic_folder", "atomic_writer", "clean_stale_temporaries", "write_bytes_atomic"]

#: What follows ``.<target name>.`` in the name of a temporary file or folder of pmae.
_TEMPORARY: Final = re.compile(r"pmae-(?P<pid>[0-9]+)\.")


def _prefix(target: Path) -> str:
    return f".{target.name}.pmae-{os.getpid()}."


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def clean_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files and folders that a killed run left beside ``target``.

    Only names pmae makes (``.<target name>.pmae-<pid>.…``) of a process that no longer exists
    are removed; a run still going on is left alone. Returns what was removed.
    """
    directory = target.parent if str(target.parent) else Path(".")
    lead = f".{target.name}."
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(lead):
            continue
        match = _TEMPORARY.match(entry.name, len(lead))
        if match is None or _alive(int(match["pid"])):
            continue
        path = Path(entry.path)
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    On any exception (including KeyboardInterrupt) the temporary file is removed and ``path``
    is left as it was. Temporary files a killed run left beside ``path`` are removed first.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))
    clean_stale_temporaries(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=_prefix(target), suffix=".tmp", dir=directory)
    except OSError as error:
        # Name the file the caller asked for, not the temporary one.
        reason = ("its folder does not exist" if isinstance(error, FileNotFoundError)
                  else error.strerror or str(error))
        raise type(error)(error.errno, reason, str(target)) from None
    try:
        encoding, newline = (None, None) if "b" in mode else ("utf-8", "")
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            # Keep the permissions the user gave the file it replaces.
            os.chmod(tmp_name, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_writer(path) as handle:
        handle.write(data)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_AT_FDCWD: Final = -100
_RENAME_EXCHANGE: Final = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step; ``False`` where the system cannot (then nothing moved)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # a libc without renameat2 (glibc < 2.28, musl < 1.2)
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                       _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system that cannot
        return False
    raise OSError(code, os.strerror(code), str(second))


def atomic_folder(target: Path, fill: Callable[[Path], object]) -> None:
    """Fill a temporary folder beside ``target``, then put it in place of ``target``.

    An interrupted or failed ``fill`` leaves ``target`` as it was and no temporary folder;
    a folder already at ``target`` is replaced as a whole, in one step where the system allows
    (Linux): the path never lacks a folder.
    """
    parent = target.parent if str(target.parent) else Path(".")
    clean_stale_temporaries(target)
    temporary = Path(tempfile.mkdtemp(prefix=_prefix(target), dir=parent))
    try:
        fill(temporary)
        # mkdtemp makes a private folder; the folder gets the permissions of any new folder.
        os.chmod(temporary, 0o777 & ~_umask())
        if not target.exists():
            os.replace(temporary, target)
            return
        if not target.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", str(target))
        if _exchange(temporary, target):
            # ``temporary`` now holds the old folder; removed below.
            return
        # Elsewhere, two renames: the old folder is moved aside, then the new one in.
        old = Path(tempfile.mkdtemp(prefix=_prefix(target), dir=parent))
        os.replace(target, old / "previous")
        try:
            os.replace(temporary, target)
        except BaseException:
            os.replace(old / "previous", target)  # put the old folder back
            raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(temporary)
