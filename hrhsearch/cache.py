"""hrhsearch's cache folder: tables that take long to build and are the same for every run.

``$HRHSEARCH_CACHE``, else ``$XDG_CACHE_HOME/hrhsearch``, else ``~/.cache/hrhsearch``. Each file
is named by a key that changes with whatever it was built from, and is written whole under a
temporary name first, so a reader never sees half of one. Without a writable folder nothing is
cached, and each run builds what it needs again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def cache_file(name: str) -> Path:
    root = os.environ.get("HRHSEARCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "hrhsearch")
    return Path(root) / name


def write(path: Path, fill: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` with ``fill``, whole or not at all; a cache that cannot be written is skipped."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            fill(out)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # e.g. the cache folder's place is taken by a file
            pass
