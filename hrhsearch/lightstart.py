"""Stand-ins for modules that Whoosh imports but a search never uses, so that the ``hrhsearch``
command starts sooner. They are installed in hrhsearch's own command-line process only, never
when hrhsearch is imported as a library.

- ``whoosh.compat`` imports ``urllib.request`` for a download helper (``urlretrieve``);
- ``whoosh.reading`` imports the ``cached_property`` package, which imports ``asyncio``;
- ``whoosh.query.terms`` imports ``whoosh.lang.morph_en`` (``variations``, for the ``Variations``
  query), which compiles hundreds of regular expressions;
- ``whoosh.analysis`` imports the Porter stemmer and the double metaphone (``stem``,
  ``double_metaphone``) as defaults of filters that hrhsearch's analyzers give other stemmers
  or do not use; each compiles a dozen regular expressions.

The first three were about 40% of the time it took to import what a search needs
(benchmarks/README.md, "Where the time goes"). Whoosh gets the names it imports from the stand-ins. Calling one of them, or
asking a stand-in for anything else, loads the real module and hands the call to it, so code that
needs these modules still works.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable
from importlib import import_module

# Each module, and the functions Whoosh imports from it by name.
FORWARDED = {"urllib.request": ("urlretrieve",), "whoosh.lang.morph_en": ("variations",),
             "whoosh.lang.porter": ("stem",), "whoosh.lang.dmetaphone": ("double_metaphone",)}


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


def _forwarding(module: str, name: str) -> Callable:
    def forward(*args: object, **kwargs: object) -> object:
        return getattr(_real(module), name)(*args, **kwargs)

    # Named as the real function, so that a pickled filter that holds it (Whoosh's ``StemFilter``
    # keeps its default stemmer) names the real one.
    forward.__module__, forward.__name__, forward.__qualname__ = module, name, name
    return forward


def _put(stand_in: _StandIn) -> None:
    sys.modules[stand_in.__name__] = stand_in
    parent, _, child = stand_in.__name__.rpartition(".")
    if parent:
        setattr(import_module(parent), child, stand_in)


def install() -> None:
    """Put the stand-ins in place, unless the real modules are already loaded."""
    for module, names in FORWARDED.items():
        if module not in sys.modules:
            stand_in = _StandIn(module)
            for name in names:
                setattr(stand_in, name, _forwarding(module, name))
            _put(stand_in)
    if "cached_property" not in sys.modules:
        # Whoosh decorates one method with it; for a plain method it does what functools' does.
        stand_in = _StandIn("cached_property")
        stand_in.cached_property = functools.cached_property
        _put(stand_in)
