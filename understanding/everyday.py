"""Everyday English words, which a typo-tolerant reader never takes for a typo of its own
words: "fuller" is no "filler", "layer" no "laser", "slight" no "sight". From the word
frequencies pyspellchecker ships (subtitles' English); rare forms such as "brest" stay
open to correction."""

from __future__ import annotations

import functools

# Occurrences in pyspellchecker's English list: "fuller" 820, "slight" 21,034 are
# everyday; "brest" 50 is a typo of "breast" far more often than the city.
EVERYDAY_MIN_COUNT = 500


@functools.lru_cache(maxsize=1)
def everyday_words() -> frozenset[str]:
    """The common English words (loaded once per process, about 0.2 s)."""
    from spellchecker import SpellChecker

    counts = SpellChecker(language="en", distance=1).word_frequency
    return frozenset(word for word, count in counts.items() if count >= EVERYDAY_MIN_COUNT)
