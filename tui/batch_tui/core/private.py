"""Files and directories of our own on a shared host: private, ours, never a symlink.

A bottom-layer module (standard library only). What batch-tui keeps (the local
stores, the watch lists) names an organisation's batches and costs, so on a host
shared with other users:

- every directory it creates is 0700 and every file 0600, whatever the umask
  (the mode is set after creating, not left to ``mkdir``/``open`` and the umask);
- a directory it would use that another user owns, or that others may write to,
  is refused in one line: they could plant a symlink, or swap our file for theirs,
  between any check and any open. (Moving into a private subfolder of it would not
  help: its owner may rename that subfolder away and put another in its place.)
- a symlink where one of our files should be is refused, never followed
  (``O_NOFOLLOW``), so a planted link cannot make us write somewhere else.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: The mode of every directory batch-tui creates.
DIR_MODE = 0o700
#: The mode of every file batch-tui creates.
FILE_MODE = 0o600


class NotPrivate(OSError):
    """A directory or file we must not use on a shared host; ``str()`` is one line."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not private"


def _owner_problem(path: Path, info: os.stat_result) -> str | None:
    uid = os.geteuid()
    if info.st_uid != uid:
        return f"{path} belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o022:
        return f"{path} may be written by other users (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Make sure ``path`` is a directory of ours that no one else may write to.

    Missing directories are created 0700 (each one of them, whatever the umask).
    An existing one owned by another user, or writable by others, raises
    ``NotPrivate``. ``tighten``: an existing directory of this user's that others
    may read, enter or write is made 0700 first (it is ours by name: a store or
    profile folder, the default state folder)."""
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            continue  # another process made it meanwhile: checked below like any other
        os.chmod(directory, DIR_MODE, follow_symlinks=False)
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise NotPrivate(f"{path} is not a directory")
    if tighten and info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, DIR_MODE)
        info = os.stat(path)
    if problem := _owner_problem(path, info):
        raise NotPrivate(problem)
    return path


def check_private_file(path: Path) -> bool:
    """Refuse (``NotPrivate``) a symlink, a non-regular file or another user's file at
    ``path``; a file of ours that others may read is made 0600. False when missing."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise NotPrivate(f"{path} is a symbolic link; not followed")
    if not stat.S_ISREG(info.st_mode):
        raise NotPrivate(f"{path} is not a regular file")
    if info.st_uid != os.geteuid():
        raise NotPrivate(f"{path} belongs to another user (uid {info.st_uid})")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, FILE_MODE, follow_symlinks=False)
    return True


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and 0600 unless it exists; never through a symlink.
    True when this call created it. Raises ``NotPrivate`` as ``check_private_file``."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except FileExistsError:
        check_private_file(path)
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotPrivate(f"{path} is a symbolic link; not followed") from None
        raise
    try:
        os.fchmod(fd, FILE_MODE)  # whatever the umask took away or left
    finally:
        os.close(fd)
    return True


def write_private_file(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: a 0600 temporary file beside it,
    flushed, then renamed over it. On any failure (a full disk) the temporary file is
    removed and the old ``path`` is left whole; the OSError is raised for the caller
    to report. A symlink at ``path`` is replaced, never written through."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
