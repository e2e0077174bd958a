"""Writing files without losing anything: output checks, atomic writes, stale temporaries, locks.

Every file tagger writes goes to a temporary name beside it and is renamed into place only
when complete. Temporary names carry the writer's process id (``.NAME.tmp-PID-XXXX``), so
what a run killed with SIGKILL leaves behind is recognised, and removed, by the next write
to the same path. Outputs get the permissions a new file would get under the umask (or keep
those of the file they replace), not the 0600 of a temporary file.

Why :class:`OutputLock` is ours and not ``filelock`` (weighed for issue 24 against
filelock 4.3.2, which opens with ``O_NOFOLLOW`` since the CVE-2025-68146 fix): its
``UnixFileLock`` refuses a planted symbolic link or directory, but takes a lock through a
planted hard link to another file or on a FIFO, keeps the lock file after release (waiters
share its inode) and records no holder pid outside its soft fallback, and importing it
costs about 60 ms of every run's start-up. The lock here must refuse any lock file that
is not a regular file with one name, checked on what was opened (``fstat``); name the
holder's pid in the message; leave no lock file behind; never wait. Keep it unless a
library does all four (tests/batch/test_reliability_batch.py and test_reliability.py pin them).
"""

from __future__ import annotations

import glob
import os
import shutil
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable

from ..errors import OutputError, TaggerError

TMP_MARK = ".tmp-"
OLD_MARK = ".old-"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def temp_path(path: Path, mark: str = TMP_MARK) -> Path:
    """A fresh temporary name beside ``path`` that names this process."""
    # os.urandom, not secrets (what secrets.token_hex reads): importing secrets imports hmac
    return path.parent / f".{path.name}{mark}{os.getpid()}-{os.urandom(4).hex()}"


def _writer_gone(name: str, mark: str) -> bool:
    """Is ``name`` a temporary (``....MARK PID-XXXX``) whose writer no longer runs?"""
    if mark not in name:
        return False
    pid = name[name.rindex(mark) + len(mark):].split("-", 1)[0]
    return pid.isdigit() and not _pid_alive(int(pid))


def stale_temporaries(path: Path, mark: str = TMP_MARK) -> list[Path]:
    """Temporary siblings of ``path`` whose writer is no longer running."""
    prefix = f".{path.name}{mark}"
    return sorted(p for p in path.parent.glob(glob.escape(prefix) + "*")
                  if _writer_gone(p.name, mark))


def remove(path: Path) -> None:
    """Remove a file or a directory tree, if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep(path: Path) -> None:
    """Remove what killed runs left beside ``path``."""
    for p in stale_temporaries(path):
        remove(p)


def umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_mode(path: Path, *, directory: bool = False) -> int:
    """Permissions for what replaces ``path``: those it has now, else the umask's."""
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    return (0o777 if directory else 0o666) & ~umask()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: str | Path, *, inputs: Iterable[str | Path] = (),
                 input_dirs: Iterable[str | Path] = ()) -> Path:
    """Refuse an output path whose replacement would destroy what was not asked for.

    Refused: a symbolic link, a directory, a device, FIFO or socket (replacing those
    turns them into plain files), one of the ``inputs``, or a path inside one of the
    ``input_dirs`` (where it would be read as input next time).
    """
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(path, f"cannot be checked ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise OutputError(path, "is a symbolic link; tagger replaces its outputs whole, so "
                                    "give the path of the file it points to")
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(path, "is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(path, "is a device, FIFO or socket, not a regular file; tagger "
                                    "replaces its outputs whole and will not replace it")
        for i in inputs:
            if str(i) != "-" and _same_file(path, Path(i)):
                raise OutputError(path, "is also an input; write the output to another file")
    parent = path.resolve().parent
    for d in input_dirs:
        d = Path(d).resolve()
        if parent == d or d in parent.parents:
            raise OutputError(path, f"is inside the input directory {d}, where it would be "
                                    "read as input; write it elsewhere")
    return path


def _os_error(path: Path, exc: OSError) -> TaggerError:
    return OutputError(path, f"cannot be written ({exc.strerror or exc}); nothing was changed")


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, durable: bool = True, **kwargs):
    """Open a temporary file beside ``path``; it replaces ``path`` only if the block succeeds.

    ``durable`` also flushes the data to disk before the rename, so it survives a power
    cut, not only a killed process. The output is checked first (see :func:`check_output`),
    and temporaries left by killed runs are swept.
    """
    path = check_output(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep(path)
        tmp = temp_path(path)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        try:
            os.fchmod(fd, new_mode(path))
            with open(fd, mode, **kwargs) as fh:
                yield fh
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            if exc.filename not in (None, str(tmp), str(path)):
                raise  # not the output's own failure: reading an input, say
            raise _os_error(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


class OutputLock:
    """One run at a time writes an output: an exclusive lock on ``OUT.lock`` beside it.

    The kernel drops the lock when its holder dies, even by SIGKILL, so a stale lock file
    never blocks anyone; the holder's pid is written in it for the message. The lock file
    is opened without following a link, and must be a regular file with no other name: what
    is planted there (a link to another file, a FIFO, a device) is refused, not written to.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lock_path = Path(str(self.path) + ".lock")
        self._fd: int | None = None

    def __enter__(self):
        import fcntl

        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                # digits only: the file's text is anyone's and goes to a terminal
                holder = "".join(filter(str.isdigit, os.pread(fd, 32, 0).decode("ascii", "replace")))
                os.close(fd)
                raise OutputError(self.path, f"is being written by another tagger run (pid "
                                             f"{holder or 'unknown'}); wait for it to finish or stop it") from None
            except OSError as exc:
                os.close(fd)
                raise _os_error(self.lock_path, exc) from None
            # the file may have been removed by its last holder between open and flock
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock_path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def _open(self) -> int:
        """The lock file, opened (created if need be) for writing: never through a link,
        and only a regular file with one name (a hard link to another file is refused too)."""
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            st = os.lstat(self.lock_path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise _os_error(self.lock_path, exc) from None
        if st is not None:
            _check_lock_file(self.lock_path, st)  # before open: opening a device can act
        flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.lock_path, flags, 0o644)
        except OSError as exc:
            if os.path.islink(self.lock_path):
                _check_lock_file(self.lock_path, os.lstat(self.lock_path))
            raise _os_error(self.lock_path, exc) from None
        try:
            _check_lock_file(self.lock_path, os.fstat(fd))  # what was opened, not the name
        except OutputError:
            os.close(fd)
            raise
        return fd

    def __exit__(self, *exc):
        if self._fd is not None:
            self.lock_path.unlink(missing_ok=True)  # while still holding it
            os.close(self._fd)
            self._fd = None
        return False


def _check_lock_file(path: Path, st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(path, "is a symbolic link; tagger does not follow links for its lock "
                                "file (remove the link, nothing was written)")
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(path, "is a directory, device, FIFO or socket, not a lock file; "
                                "remove it (nothing was written)")
    if st.st_nlink > 1:
        raise OutputError(path, "has another name (a hard link to another file); tagger will "
                                "not write its lock into it (remove it, nothing was written)")


def sweep_directory(directory: Path) -> None:
    """Remove every temporary in ``directory`` whose writer is no longer running."""
    for p in directory.glob(".*" + TMP_MARK + "*"):
        if _writer_gone(p.name, TMP_MARK):
            remove(p)
