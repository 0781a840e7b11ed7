"""Stand-ins for two modules that Whoosh imports but a search never uses, so that the ``hrhsearch``
command starts sooner. They are installed in hrhsearch's own command-line process only, never
when hrhsearch is imported as a library.

``whoosh.compat`` imports ``urllib.request`` for a download helper, and ``whoosh.reading`` imports
the ``cached_property`` package, which imports ``asyncio``. Together they were about 40% of the
time it takes to import what a search needs (benchmarks/README.md, "Search as a whole process").
Whoosh gets ``urlretrieve`` and ``cached_property`` from the stand-ins. Any other use of either
module loads the real one and is forwarded to it, so code that needs them still works.
"""

from __future__ import annotations

import functools
import sys
import types
from importlib import import_module


class _StandIn(types.ModuleType):
    """A module that loads the real one the first time something asks it for a name it lacks."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    if isinstance(sys.modules.get(name), _StandIn):
        del sys.modules[name]
    return import_module(name)


def _urlretrieve(*args: object, **kwargs: object) -> object:
    return _real("urllib.request").urlretrieve(*args, **kwargs)


def install() -> None:
    """Put the stand-ins in place, unless the real modules are already loaded."""
    if "urllib.request" not in sys.modules:
        import urllib

        request = _StandIn("urllib.request")
        request.urlretrieve = _urlretrieve
        sys.modules["urllib.request"] = urllib.request = request
    if "cached_property" not in sys.modules:
        # Whoosh decorates one method with it; for a plain method it does what functools' does.
        package = _StandIn("cached_property")
        package.cached_property = functools.cached_property
        sys.modules["cached_property"] = package
