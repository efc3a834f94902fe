"""Reading small local files of our own (the config file, the watch list) safely.

A bottom-layer module (standard library only). A path that is no regular file is
refused after a stat, before any read: opening a FIFO would wait for a writer
forever, and a device could be endless.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_FILE_KINDS = {
    stat.S_IFLNK: "a symbolic link (not followed)",
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class NotAFile(ValueError):
    """A path that is no regular file (a directory, FIFO, device or socket)."""


class FileTooLarge(ValueError):
    """A file too large to be ours."""


def _check_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(info.st_mode))
        raise NotAFile(f"is {kind}, not a regular file" if kind else "is not a regular file")
    if info.st_size > limit:
        raise FileTooLarge(f"is larger than {limit // 1024} KB")


def read_regular_file(path: Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of a small regular file, read without ever blocking.

    Raises FileNotFoundError when it is missing, NotAFile for a directory, FIFO,
    device or socket (refused after a stat, before any read: opening a FIFO
    would wait for a writer forever), FileTooLarge past ``limit`` bytes, and
    OSError for the rest. ``follow_symlinks=False``: a symlink at ``path`` is
    NotAFile too (a file of our own that someone may have replaced by a link).
    """
    _check_regular(os.stat(path, follow_symlinks=follow_symlinks), limit)
    # O_NONBLOCK: should the path become a FIFO between the stat and the open,
    # the open still returns at once, and the fstat below refuses it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        _check_regular(os.fstat(fd), limit)
        chunks = []
        size = 0
        while chunk := os.read(fd, 64 * 1024):
            size += len(chunk)
            if size > limit:
                raise FileTooLarge(f"is larger than {limit // 1024} KB")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def readable_by_others(path: Path) -> bool:
    """True when users other than the owner may read or write ``path``."""
    try:
        return bool(path.stat().st_mode & 0o077)
    except OSError:
        return False
