"""Language identification: langdetect, seeded so that the same text always gets the same answer.

Short text is unreliable (headings are misread about one time in seven), so callers pass a
fallback, normally the document's own language, for anything under ``MIN_WORDS`` words.
"""

from __future__ import annotations

from functools import lru_cache

MIN_WORDS = 12
SAMPLE_CHARS = 3000
# A passage's language is told from its opening; langdetect's time grows with the sample.
PASSAGE_SAMPLE_CHARS = 500
DEFAULT = "en"


@lru_cache(maxsize=1)
def _detector_factory() -> object:
    # Imported lazily: loading langdetect's profiles costs time that a search never needs.
    from langdetect import DetectorFactory, detector_factory

    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        detector_factory.init_factory()
    except LangDetectException as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None  # langdetect turns Ctrl-C while loading into a format error
        raise
    return detector_factory._factory


def preload() -> None:
    """Load the language profiles now, e.g. once before forking workers that will all need them."""
    _detector_factory()


def _sample(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    third = size // 3
    middle = (len(text) - third) // 2
    return " ".join((text[:third], text[middle:middle + third], text[-third:]))


def detect(text: str, fallback: str = DEFAULT, sample_chars: int = SAMPLE_CHARS) -> str:
    """The ISO 639-1 code of ``text``'s language, or ``fallback`` when the text is too short to tell.
    Only ``sample_chars`` characters are read, from its start, middle and end."""
    sample = _sample(text, sample_chars)
    if len(sample.split()) < MIN_WORDS:
        return fallback
    from langdetect.lang_detect_exception import LangDetectException

    factory = _detector_factory()
    try:
        detector = factory.create()  # type: ignore[attr-defined]
        detector.append(sample)
        code = detector.detect()
    except LangDetectException:
        return fallback
    return code.split("-")[0]
