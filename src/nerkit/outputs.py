"""Where nerkit writes: paths checked before any work, files replaced whole, stale temporaries removed.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> target = check_output_file(folder / "tagged.conll")        # checked before the work starts
>>> with atomic_file(target) as f:                             # written beside it, then moved into place
...     _ = f.write("Paris I-LOC\\n")
>>> target.read_text()
'Paris I-LOC\\n'
>>> check_output_file(folder / "no-such-folder" / "x.conll")
Traceback (most recent call last):
...
nerkit.errors.ConfigError: --output ... folder ... does not exist; create it first or choose another --output

Everything nerkit writes goes to a temporary name in the target's own folder first and is
moved into place with ``os.replace`` (atomic on one file system), so a run that fails or is
killed half-way never leaves a truncated file where a good one was. Temporaries are named
``.NAME.tmp-PID-RANDOM``; a run killed while writing leaves one behind, and the next run
that writes beside it removes it (:func:`remove_stale`): only names of that pattern, and only
when the process that made them is gone (or, should its number have been reused, after a day).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import ConfigError

__all__ = [
    "check_output_file",
    "check_output_dir",
    "atomic_file",
    "temp_path",
    "temp_dir",
    "remove_stale",
    "STALE_AFTER",
]

STALE_AFTER = 24 * 3600  # seconds: a temporary this old is stale even if its process number is in use again
OLD_STYLE_AFTER = 3600  # seconds: temporaries of older nerkit versions (``.NAME.xxxxxxxx``) carry no process number
_MINE: set[str] = set()  # temporaries this process made and still uses (its own number may be a dead run's too)


def _ancestor_problem(path: Path) -> str | None:
    """Why nothing can be created at ``path`` (a file where a folder should be, no write access), or None."""
    parent = path.parent
    while not parent.exists():
        if parent == parent.parent:
            return None
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"folder {parent} is not writable"
    return None


def check_output_file(path, option: str = "--output") -> Path:
    """``path`` as a file nerkit may write: not a folder, in a folder that exists and is writable."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a folder; give a file name (e.g. {path / 'output'})")
    if not path.parent.is_dir():
        raise ConfigError(
            f"{option} {path}: folder {path.parent} does not exist; create it first or choose another {option}"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: folder {path.parent} is not writable; choose another {option}")
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{option} {path} is not writable; choose another {option}")
    _try_writing(path.parent, path, option)
    return path


def _try_writing(folder: Path, path: Path, option: str) -> None:
    """Create and remove a temporary in ``folder``: the one sure test that nerkit can write there.

    ``os.access`` says yes to root everywhere, even in /proc or on a read-only mount, where
    the temporary of :func:`atomic_file` then failed with a traceback after all the work.
    """
    tmp = temp_path(folder / (path.name or "output"))
    try:
        with open(tmp, "x"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"{option} {path}: cannot write in folder {folder} ({exc.strerror}); choose another {option}"
        ) from None
    finally:
        _MINE.discard(str(tmp))
        with contextlib.suppress(OSError):
            tmp.unlink()


def check_output_dir(path, option: str = "--output") -> Path:
    """``path`` as a folder nerkit may create or fill: not a file, and its nearest existing parent writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path} is a file; give a folder (or a path that does not exist yet)")
    problem = _ancestor_problem(path) if not path.exists() else None
    if path.exists() and not os.access(path, os.W_OK | os.X_OK):
        problem = f"folder {path} is not writable"
    if problem:
        raise ConfigError(f"{option} {path}: {problem}; choose another {option}")
    existing = path if path.exists() else next(p for p in path.parents if p.exists())
    _try_writing(existing, path, option)
    return path


def temp_path(target: Path) -> Path:
    """A fresh temporary name beside ``target`` (``.NAME.tmp-PID-RANDOM``), remembered as in use."""
    path = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    _MINE.add(str(path))
    return path


@contextlib.contextmanager
def atomic_file(path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None) -> Iterator:
    """Open a temporary file beside ``path``; on success it replaces ``path``, on failure it is removed."""
    path = Path(path)
    binary = "b" in mode
    if path.is_symlink() or (path.exists() and not path.is_file()):
        # /dev/stdout (a link), a named pipe, a user's link: written through, never replaced.
        with open(path, mode, encoding=None if binary else encoding, newline=None if binary else newline) as f:
            yield f
        return
    remove_stale(path.parent, path.name)
    tmp = temp_path(path)
    try:
        with open(tmp, mode, encoding=None if binary else encoding, newline=None if binary else newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        _MINE.discard(str(tmp))
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def temp_dir(target: Path) -> Path:
    """A new temporary folder beside ``target`` (after removing stale ones of the same name)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target.parent, target.name)
    path = temp_path(target)
    path.mkdir()
    return path


def done_with(path: Path) -> None:
    """Forget a temporary of :func:`temp_dir` (it was moved into place or removed)."""
    _MINE.discard(str(path))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # someone else's process (or no signals here): assume alive
        return True
    return True


def _stale(entry: Path, pid: int | None, now: float) -> bool:
    try:
        age = now - entry.lstat().st_mtime
    except FileNotFoundError:
        return False
    if pid is None:  # an older nerkit's temporary: no process number, so by age alone
        return age > OLD_STYLE_AFTER and entry.is_dir()
    if str(entry) in _MINE:
        return False
    # Our own number on a name we did not make is a killed run's (containers reuse numbers).
    return pid == os.getpid() or not _alive(pid) or age > STALE_AFTER


def remove_stale(folder, name: str | None = None) -> list[Path]:
    """Remove nerkit's stale temporaries for ``name`` (any name when None) in ``folder``; return them.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / ".model.tmp-999999999-0badf00d").mkdir()          # left by a run that was killed
    >>> [p.name for p in remove_stale(folder, "model")]
    ['.model.tmp-999999999-0badf00d']
    """
    folder = Path(folder)
    stem = re.escape(name) if name is not None else r".+"
    ours = re.compile(rf"\.{stem}\.tmp-(\d+)-[0-9a-f]+")
    old_style = re.compile(rf"\.{stem}\.[a-z0-9_]{{8}}")  # tempfile.mkdtemp(prefix=".NAME.") of older versions
    removed, now = [], time.time()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = ours.fullmatch(entry.name)
        if match is None and old_style.fullmatch(entry.name) is None:
            continue
        if not _stale(entry, int(match.group(1)) if match else None, now):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry)
    return removed
