"""The default settings, as plain values: BM25's knobs, the per-file limits of indexing, the
passage size and what ``evaluate`` measures. Naming them loads nothing else, so that the package's
own module can use them as defaults before any record class exists (``records`` builds on them)."""

K1 = 1.2
B = 0.75
HEAD_BOOST = 0.3

MAX_WORDS = 300  # words in a passage, unless the index was built with other passage_words

TIMEOUT = 120.0  # seconds one file may take to read
MEMORY_MB = 2048  # megabytes reading one file may take

# What ``evaluate`` measures by default, how a judged document id names a file, and how many
# documents it ranks per topic.
DEFAULT_MEASURES = ("AP", "nDCG@10", "P@10", "R@100", "RR")
DOCID_KINDS = ("stem", "name", "path")
DEPTH = 1000
