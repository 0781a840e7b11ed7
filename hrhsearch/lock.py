"""One writer per index: an advisory ``flock`` on ``write.lock`` that records the holder's PID.

The kernel drops a ``flock`` when its process dies, so a lock file left by a killed writer is
never held: the next writer takes it and says it cleared a stale lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from .errors import IndexLocked

LOCK_FILE = "write.lock"


class WriteLock:
    def __init__(self, index: Path, wait: float = 0) -> None:
        self.path = Path(index) / LOCK_FILE
        self.wait = wait
        self.notices: list[str] = []
        self._fd: int | None = None

    def __enter__(self) -> WriteLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    raise IndexLocked(self.path.parent, holder) from None
                time.sleep(0.1)
        stale = _read_pid(fd)
        if stale and stale != os.getpid():
            self.notices.append(f"Cleared a stale write lock left by process {stale}, which is no longer writing.")
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None
