"""Stand-ins for modules that Whoosh, click and dataclasses import but a search never uses, so
that the ``hrhsearch`` command starts sooner. They are installed in hrhsearch's own command-line
process only, never when hrhsearch is imported as a library.

- ``whoosh.compat`` imports ``urllib.request`` for a download helper (``urlretrieve``);
- ``whoosh.reading`` imports the ``cached_property`` package, which imports ``asyncio``;
- ``whoosh.query.terms`` imports ``whoosh.lang.morph_en`` (``variations``, for the ``Variations``
  query), which compiles hundreds of regular expressions;
- ``whoosh.analysis`` imports the Porter stemmer and the double metaphone (``stem``,
  ``double_metaphone``) as defaults of filters that hrhsearch's analyzers give other stemmers
  or do not use; each compiles a dozen regular expressions;
- ``whoosh.fields`` imports ``whoosh.util.times`` (and so ``calendar``) for date fields, which
  hrhsearch's schema does not have (``decimal`` cannot have a stand-in: numeric fields check
  ``isinstance(value, Decimal)``, which takes the real class);
- ``whoosh.compat`` imports ``html`` (and its table of entities) for ``escape``, which only
  Whoosh's HTML highlighting calls;
- the first stemmer Whoosh makes loads all 14 of its Snowball languages; hrhsearch's fields
  use four;
- ``dataclasses`` and click import ``inspect`` (and so ``ast``, ``dis`` and ``tokenize``), which
  a start asks only for ``cleandoc`` of one-line option help (given here, as the real one gives
  it) and, for a dataclass without a docstring, ``signature``;
- click's parameter types import ``uuid``, which imports ``platform`` (and compiles its dozen
  regular expressions) to ask ``platform.system()``, given here from ``os.uname()`` as the real
  one gives it.

The first three were about 40% of the time it took to import what a search needs
(benchmarks/README.md, "Where the time goes"). Whoosh gets the names it imports from the stand-ins. Calling one of them, or
asking a stand-in for anything else, loads the real module and hands the call to it, so code that
needs these modules still works.

The process also starts without the cyclic garbage collector. Starting creates a few hundred
thousand objects, all kept, and each collection walks them: a tenth of a search's instructions,
and as much again as Python exits. A command that does one bounded piece of work (a search) runs
to its end so and leaves every object out of the collections Python makes as it exits
(``before_exit``); any other command collects again from its start (``collect_again``), without
walking the objects of the start.

One stand-in is not a deferral: ``hashlib`` loads OpenSSL (about 2% of a whole search) for the
md5 that Whoosh hashes its term tables' keys with, and the expansion cache's sha256. CPython's own
``_md5`` and ``_sha256`` give the same digests; anything else asked of ``hashlib`` loads the real one.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from importlib.util import find_spec

# Each module, and the functions Whoosh imports from it by name.
FORWARDED = {"urllib.request": ("urlretrieve",), "whoosh.lang.morph_en": ("variations",),
             "whoosh.lang.porter": ("stem",), "whoosh.lang.dmetaphone": ("double_metaphone",),
             "whoosh.util.times": ("datetime_to_long", "long_to_datetime"), "html": ("escape",)}
# Stand-ins of packages: another command imports their submodules (``html.parser``), and a
# submodule that asks its package for a name loads the real one.
PACKAGES = ("html",)
SNOWBALL = "whoosh.lang.snowball"
# The stemmers of hrhsearch's languages, by Whoosh's module and class names.
OWN_STEMMERS = {"en": ("english", "EnglishStemmer"), "fr": ("french", "FrenchStemmer"),
                "es": ("spanish", "SpanishStemmer"), "pt": ("portugese", "PortugueseStemmer")}


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


class _Stemmers(Mapping):
    """Whoosh's ``snowball.classes`` (language code -> stemmer class), loading only the module of
    the language asked for, and all of them for a language hrhsearch does not index."""

    def __getitem__(self, code: str) -> type:
        if code in OWN_STEMMERS:
            module, name = OWN_STEMMERS[code]
            return getattr(import_module(f"{SNOWBALL}.{module}"), name)
        return _real(SNOWBALL).classes[code]

    def __contains__(self, code: object) -> bool:
        return code in OWN_STEMMERS or code in _real(SNOWBALL).classes

    def __iter__(self) -> Iterator[str]:
        return iter(_real(SNOWBALL).classes)

    def __len__(self) -> int:
        return len(_real(SNOWBALL).classes)


def _given(module: str, **names: object) -> _StandIn:
    """A stand-in that has ``names``; anything else asked of it loads the real module."""
    stand_in = _StandIn(module)
    for name, value in names.items():
        setattr(stand_in, name, value)
    return stand_in


def _snowball() -> _StandIn:
    stand_in = _given(SNOWBALL, classes=_Stemmers())
    # A package's path, so that its language modules are found beside the stand-in.
    stand_in.__path__ = [os.path.join(path, "snowball") for path in import_module("whoosh.lang").__path__]
    return stand_in


def _hashlib() -> _StandIn | None:
    try:
        from _md5 import md5
        from _sha256 import sha256
    except ImportError:  # a CPython built without its own hashes: the real hashlib it is
        return None
    return _given("hashlib", md5=md5, sha256=sha256)


def _forwarder(module: str, names: tuple[str, ...]) -> _StandIn:
    stand_in = _given(module, **{name: _forwarding(module, name) for name in names})
    if module in PACKAGES:
        stand_in.__path__ = list(find_spec(module).submodule_search_locations)
    return stand_in


def _put(stand_in: _StandIn) -> None:
    sys.modules[stand_in.__name__] = stand_in
    parent, _, child = stand_in.__name__.rpartition(".")
    if parent:
        setattr(import_module(parent), child, stand_in)


_collection_held = False  # whether ``install`` turned the cyclic collector off


def install() -> None:
    """Put the stand-ins in place, unless the real modules are already loaded, and turn the cyclic
    garbage collector off."""
    global _collection_held
    forwarded = [_forwarder(module, names) for module, names in FORWARDED.items() if module not in sys.modules]
    # All in sys.modules before any is linked to its parent package: importing a parent (Whoosh)
    # imports modules that would otherwise load the real ``html`` first.
    sys.modules.update((stand_in.__name__, stand_in) for stand_in in forwarded)
    for stand_in in forwarded:
        _put(stand_in)
    if SNOWBALL not in sys.modules:
        _put(_snowball())
    if "hashlib" not in sys.modules and (light := _hashlib()) is not None:
        _put(light)
    if "cached_property" not in sys.modules:
        # Whoosh decorates one method with it; for a plain method it does what functools' does.
        _put(_given("cached_property", cached_property=functools.cached_property))
    if "platform" not in sys.modules and hasattr(os, "uname"):
        _put(_given("platform", system=_system))
    if "inspect" not in sys.modules:
        _put(_given("inspect", cleandoc=_cleandoc))
    if gc.isenabled():
        gc.disable()
        _collection_held = True


def collect_again() -> None:
    """For a command that runs on: collect cycles again, leaving the start's objects out."""
    global _collection_held
    if _collection_held:
        gc.freeze()
        gc.enable()
        _collection_held = False


def before_exit() -> None:
    """After a command that did one piece of work: leave every object out of the collections Python
    makes as it exits, which would walk them all to free a process about to end."""
    if _collection_held:
        gc.freeze()


def _system() -> str:
    """``platform.system()``: the name ``os.uname()`` gives, but for the names the real one changes."""
    name = os.uname().sysname
    if name in ("", "unknown", "Microsoft", "Windows", "OpenVMS"):
        return _real("platform").system()
    return name


def _cleandoc(doc: str) -> str:
    """``inspect.cleandoc``: a line without tabs only loses its leading blanks; any other text goes
    to the real one."""
    if "\n" not in doc and "\t" not in doc:
        return doc.lstrip()
    return _real("inspect").cleandoc(doc)
