"""The operating-system calls the file store needs, each safe in a folder others can write to.

Nothing here follows a symbolic link or blocks on a FIFO: every open uses ``O_NOFOLLOW`` and
``O_NONBLOCK`` and checks it got a regular file, and a file over the size limit is refused by
its size before a byte is read.
"""

from __future__ import annotations

import os
import re
import stat
import time

TEMP_SUFFIX = ".tmp"
CHECKPOINT_FILE = re.compile(r"[A-Za-z0-9_-]{1,128}\.json")  # what a checkpoint file is named
_TEMP_NAME = re.compile(r"\.[A-Za-z0-9_.-]+\.[0-9a-f]{8}\.tmp")  # as _new_temp names them
_SAFE = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class UnsafeFileError(OSError):
    """A name in the folder that is not a plain file (a link, FIFO, device...) or too large."""


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular(path: str, flags: int, mode: int = 0o644) -> int:
    """A descriptor for a regular file at ``path`` itself; ``UnsafeFileError`` for anything else."""
    return open_with_status(path, flags, mode)[0]


def open_with_status(
    path: str, flags: int, mode: int = 0o644, *, folder: int | None = None
) -> tuple[int, os.stat_result]:
    """As ``open_regular``, with the status it checked (no second ``fstat`` for the size);
    ``path`` relative to the open ``folder`` when one is given."""
    try:
        fd = os.open(path, flags | _SAFE, mode, dir_fd=folder)
    except OSError as error:
        if error.errno in (getattr(os, "ELOOP", 40), getattr(os, "ENXIO", 6)):
            try:
                kind = _kind(os.lstat(path, dir_fd=folder).st_mode)
            except OSError:
                raise error from None
            raise UnsafeFileError(error.errno, f"{kind}; not followed", path) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(0, f"{_kind(info.st_mode)}; skipped", path)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def irregular(path: str) -> str | None:
    """What ``path`` is when it exists but is not a regular file (``"a FIFO"``...), else None."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def read_regular(
    path: str, limit: int, *, folder: int | None = None
) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes and its status; ``UnsafeFileError`` (by size) past ``limit``.
    ``folder``: an open folder ``path`` is a name in, so a listing that reads thousands of
    files has the kernel look up one name each, not the whole path."""
    fd, info = open_with_status(path, os.O_RDONLY, folder=folder)
    try:
        if info.st_size > limit:
            raise UnsafeFileError(
                0, f"{info.st_size} bytes, over the {limit}-byte limit; not read", path
            )
        data = os.pread(fd, info.st_size, 0)  # whole, unless the file was cut meanwhile
        if len(data) < info.st_size:
            data += pread_all(fd, len(data), info.st_size)
        return data, info
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def append(path: str, data: bytes) -> int:
    """Append in one write; returns the offset the data starts at (other writers may append)."""
    fd = open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        write_all(fd, data)
        return os.lseek(fd, 0, os.SEEK_CUR) - len(data)
    finally:
        os.close(fd)


def _new_temp(path: str) -> tuple[str, int]:
    folder, name = os.path.split(path)
    temp = os.path.join(folder, f".{name.lstrip('.')}.{os.urandom(4).hex()}{TEMP_SUFFIX}")
    return temp, os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SAFE, 0o644)


def replace(path: str, data: bytes) -> None:
    """Replace a file whole, no fsync (a cache is rebuilt if lost; a checkpoint is in the log):
    temp file, write, rename, so other processes see the whole file or none of it."""
    temp, fd = _new_temp(path)
    try:
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError:
        discard(temp)
        raise


_NAMELESS = getattr(os, "O_TMPFILE", 0)
_root: int | None = None  # see ``link_nameless``


def open_nameless(folder: str) -> int:
    """A new file in ``folder``'s file system with no name yet (``O_TMPFILE``), open for
    writing; made ahead of need, it is given a name, whole, by ``link_nameless``. Raises
    ``OSError`` where there is no such thing (then make the file the usual way)."""
    if not _NAMELESS:
        raise OSError(0, "nameless files are not supported here", folder)
    return os.open(folder, os.O_WRONLY | _NAMELESS | getattr(os, "O_CLOEXEC", 0), 0o644)


def link_nameless(descriptor: int, path: str) -> None:
    """Give the file of ``open_nameless`` the absolute ``path`` (which must not exist): readers
    see it whole or not at all, as after a rename. ``OSError`` if that cannot be done (the name
    taken, no ``/proc``): the caller then writes the file the usual way."""
    global _root
    if not os.path.isabs(path):
        raise OSError(0, "not an absolute path", path)
    if _root is None:
        # ``os.link`` follows the /proc link (``linkat`` with ``AT_SYMLINK_FOLLOW``) only when
        # it is given a folder descriptor; the path is absolute, so which folder is moot.
        _root = os.open("/", os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    os.link(f"/proc/self/fd/{descriptor}", path, dst_dir_fd=_root, follow_symlinks=True)


def sync_file(path: str) -> None:
    """``fsync`` a regular file at ``path`` and its folder: durable without the commit log."""
    fd = open_regular(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_folder(os.path.dirname(path))


def remove_stale_temps(folder: str, age_seconds: float) -> int:
    """Remove temp files older than ``age_seconds``, never the newest (it may be a save still
    writing on a slow disk); returns how many went."""
    cutoff = time.time() - age_seconds
    temps = []
    for name in os.listdir(folder):
        # The cheap tests first: a folder holds thousands of checkpoints and few temp files.
        if name[:1] == "." and name.endswith(TEMP_SUFFIX) and _TEMP_NAME.fullmatch(name):
            try:
                info = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                temps.append((info.st_mtime, name))
    temps.sort()
    stale = [name for mtime, name in temps[:-1] if mtime < cutoff]
    return sum(discard(os.path.join(folder, name)) for name in stale)


def fsync_folder(folder: str) -> None:
    """Make renames and unlinks in ``folder`` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(path: str) -> bool:
    """Remove ``path`` if it can be; a failure to clean up never hides the real error."""
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


def pread_all(fd: int, start: int, end: int) -> bytes:
    chunks = []
    while start < end:
        chunk = os.pread(fd, end - start, start)
        if not chunk:
            break
        chunks.append(chunk)
        start += len(chunk)
    return b"".join(chunks)
