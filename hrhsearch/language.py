"""Language identification, deterministic: the same text always gets the same answer.

The default detector is py3langid, limited to the languages hrhsearch stems and a few others it
meets in HRH documents: about 0.1 ms a passage, where langdetect (still selectable with
``HRHSEARCH_LANGUAGE_DETECTOR=langdetect``) takes 4 to 10 ms, which made it most of the cost of
reading a file. Short text is unreliable with either, so callers pass a fallback, normally the
document's own language, for anything under ``MIN_WORDS`` words or detected with low confidence.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from . import cache

MIN_WORDS = 12
SAMPLE_CHARS = 3000
# A passage's language is told from a sample; detection time grows with it.
PASSAGE_SAMPLE_CHARS = 500
DEFAULT = "en"
DETECTORS = ("py3langid", "langdetect")
# Our four, and languages that turn up beside them in HRH documents. Limiting the candidates
# keeps short English or Spanish passages from being read as Aragonese or Galician.
CANDIDATES = ("en", "fr", "es", "pt", "de", "it", "nl", "ar", "ru", "zh", "ja", "sw", "id", "tr", "pl", "am", "ha")
MIN_CONFIDENCE = 0.6
MODEL_CACHE_FORMAT = 1  # bump when what ``_model`` caches changes


def detector_name() -> str:
    name = os.environ.get("HRHSEARCH_LANGUAGE_DETECTOR", DETECTORS[0])
    if name not in DETECTORS:
        from .errors import HrhsearchError

        raise HrhsearchError(f"Unknown language detector {name!r} in HRHSEARCH_LANGUAGE_DETECTOR; "
                             f"use one of: {', '.join(DETECTORS)}.")
    return name


@lru_cache(maxsize=2)
def _detector(name: str) -> Callable[[str], tuple[str, float]]:
    # Imported lazily: loading a model costs time that a search never needs.
    return _py3langid() if name == "py3langid" else _langdetect()


def _py3langid() -> Callable[[str], tuple[str, float]]:
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    ptc, pc, classes, nextmove, row, output = _model()
    # As LanguageIdentifier.from_model_file makes it, from the model cut to our candidates.
    identifier = LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
    identifier.set_languages(list(CANDIDATES))
    # set_languages leaves the scores a column view; a passage's scores gather a row per feature,
    # twice as fast from rows that are contiguous. The values and results are the same.
    identifier.nb_ptc = np.ascontiguousarray(identifier.nb_ptc)
    return lambda text: tuple(identifier.classify(text))  # type: ignore[return-value]


def _model() -> tuple:
    """py3langid's model, as its ``load_model`` reads it, with the scores of ``CANDIDATES`` alone.

    Its file is LZMA-compressed, and unpacking 68 MB took 0.6 of the 0.8 s that loading it took:
    most of the time of indexing one changed file. So the cut model is cached, uncompressed
    (about 43 MB, read in 0.12 s), under a key of py3langid's version and model file."""
    import numpy as np
    from py3langid import langid, modelio

    source = langid.MODEL_DIR / langid.MODEL_FILE
    path = cache.cache_file(f"py3langid-{_model_key(source)}.npz")
    try:
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as data:  # closed even when damaged
            return (data["ptc"], data["pc"], data["classes"].tolist(), _array(data["nextmove"]),
                    _array(data["row"]), data["output"].tolist())
    except Exception:  # noqa: BLE001 - not cached yet, or unreadable (a damaged zip, say): read the model itself
        pass
    ptc, pc, classes, nextmove, row, output = modelio.load_model(source)
    kept = [n for n, code in enumerate(classes) if code in CANDIDATES]
    model = (np.ascontiguousarray(ptc[:, kept]), np.asarray(pc)[kept], [classes[n] for n in kept], nextmove, row, output)
    cache.write(path, lambda out: np.savez(out, ptc=model[0], pc=model[1], classes=np.array(model[2]),
                                            nextmove=np.asarray(nextmove), row=np.asarray(row),
                                            output=np.asarray(output, dtype=np.int32)))
    return model


def _model_key(source: Path) -> str:
    from importlib.metadata import version

    stat = source.stat()
    text = f"{version('py3langid')} {stat.st_size} {stat.st_mtime_ns} {' '.join(CANDIDATES)} {MODEL_CACHE_FORMAT}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _array(values) -> array:
    """A stdlib array, as py3langid walks its automaton: indexing one is faster than numpy's."""
    kept = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    kept.frombytes(memoryview(values).cast("B"))  # np.load gives contiguous arrays
    return kept


def _langdetect() -> Callable[[str], tuple[str, float]]:
    from langdetect import DetectorFactory, detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        detector_factory.init_factory()
    except LangDetectException as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None  # langdetect turns Ctrl-C while loading into a format error
        raise
    factory = detector_factory._factory

    def classify(text: str) -> tuple[str, float]:
        detector = factory.create()  # type: ignore[attr-defined]
        detector.append(text)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return "", 0.0
        return best.lang.split("-")[0], best.prob

    return classify


def preload() -> None:
    """Load the detector now, e.g. once before forking workers that will all need it."""
    _detector(detector_name())


def _sample(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    third = size // 3
    middle = (len(text) - third) // 2
    return " ".join((text[:third], text[middle:middle + third], text[-third:]))


def detect(text: str, fallback: str = DEFAULT, sample_chars: int = SAMPLE_CHARS) -> str:
    """The ISO 639-1 code of ``text``'s language, or ``fallback`` when the text is too short to tell
    or the detector is unsure. Only ``sample_chars`` characters are read, from its start, middle and end."""
    sample = _sample(text, sample_chars)
    if len(sample.split()) < MIN_WORDS:
        return fallback
    code, confidence = _detector(detector_name())(sample)
    return code if code and confidence >= MIN_CONFIDENCE else fallback
