"""Files only their owner may read: stores (password and token hashes), keys, credentials.

`private_files` creates missing files as 0600 and narrows existing ones; `owner_only_umask` makes every
file a long-running command creates afterwards (SQLite's -wal/-shm, Parquet history, keys) owner-only too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create `path` as 0700 (an existing folder is left as it is: it may be shared on purpose)."""
    if not path.exists():
        path.mkdir(parents=True, mode=DIR_MODE)


def private_files(directory: Path, *files: Path) -> None:
    """Each of `files` (created empty if missing) and its SQLite companions made 0600."""
    private_dir(directory)
    for path in files:
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            with contextlib.suppress(FileNotFoundError):
                if stat.S_IMODE(candidate.stat().st_mode) & 0o077:
                    candidate.chmod(FILE_MODE)


def owner_only_umask() -> int:
    """Make files created from now on by this process owner-only; returns the previous umask."""
    return os.umask(0o077)
