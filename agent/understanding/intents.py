"""The similarity classifier: which intent's examples a message is most like.

Each text becomes a sparse TF-IDF vector over words, word pairs and the character 3- and
4-grams of each word (so "balnce" still shares most of its grams with "balance"). A message
scores, for each intent, the cosine with that intent's nearest example; the top score and its
margin over the runner-up give the confidence. Nothing but the standard library: the index
is built once, on first use, from `examples.py`, and a message costs one pass over the
postings of its own features.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from agent.understanding.examples import examples
from agent.understanding.extract import extract
from agent.understanding.model import Intent
from agent.understanding.phrasing import normalise

_TOKEN = re.compile(r"[a-z0-9']+")
_PLACEHOLDER = re.compile(r"^q(?:amount|number|term|date|email|phone|ref|id)$")
_GROUP_WEIGHT = {"w": 1.0, "b": 0.8, "c": 0.45}
_EXAMPLE_DAY = dt.date(2000, 1, 1)  # examples are only masked; their dates are never used


def features(text: str) -> Counter[str]:
    """Word, word-pair and character n-gram counts of a prepared (normalised, masked) text."""
    words = _TOKEN.findall(text)
    counts: Counter[str] = Counter()
    for word in words:
        counts["w " + word] += 1
        if _PLACEHOLDER.match(word):
            continue
        padded = f"<{word}>"
        for size in (3, 4):
            for start in range(len(padded) - size + 1):
                counts["c " + padded[start:start + size]] += 1
    for first, second in pairwise(words):
        counts[f"b {first} {second}"] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Classification:
    """The best intent, its score (cosine, 0..1) and the runner-up intent's score."""

    intent: Intent
    score: float
    runner_up: float


class IntentClassifier:
    """Nearest-example cosine over TF-IDF vectors of prepared texts."""

    def __init__(self, examples: Mapping[Intent, Sequence[str]]) -> None:
        documents: list[Counter[str]] = []
        self._ranges: list[tuple[Intent, int, int]] = []
        for intent, texts in examples.items():
            start = len(documents)
            documents.extend(features(text) for text in texts)
            self._ranges.append((intent, start, len(documents)))
        frequency: Counter[str] = Counter()
        for document in documents:
            frequency.update(document.keys())
        total = len(documents)
        self._idf = {name: math.log((1 + total) / (1 + count)) + 1
                     for name, count in frequency.items()}
        self._unseen_idf = math.log(1 + total) + 1
        self._size = total
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for index, document in enumerate(documents):
            for name, weight in self._weights(document).items():
                self._postings.setdefault(name, []).append((index, weight))

    def _weights(self, counts: Counter[str]) -> dict[str, float]:
        weights = {
            name: (1 + math.log(count)) * self._idf.get(name, self._unseen_idf)
            * _GROUP_WEIGHT[name[0]]
            for name, count in counts.items()
        }
        norm = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
        return {name: weight / norm for name, weight in weights.items()}

    def knows(self, word: str) -> bool:
        """Whether `word` occurs in any example."""
        return "w " + word in self._idf

    def classify(self, text: str) -> Classification:
        """The intent whose nearest example is closest to a prepared text."""
        scores = [0.0] * self._size
        for name, weight in self._weights(features(text)).items():
            for index, example_weight in self._postings.get(name, ()):
                scores[index] += weight * example_weight
        ranked = sorted(
            ((max(scores[start:end], default=0.0), intent) for intent, start, end in self._ranges),
            key=lambda pair: pair[0], reverse=True,
        )
        best, intent = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        return Classification(intent, min(best, 1.0), min(runner_up, 1.0))


def prepare(text: str) -> str:
    """A raw example as the classifier reads it: normalised, values masked."""
    return extract(normalise(text), text, today=_EXAMPLE_DAY).masked


@cache
def default_classifier() -> IntentClassifier:
    """The classifier over the examples of `examples.py`, built on first use."""
    return IntentClassifier({
        intent: [prepare(text) for text in texts] for intent, texts in examples().items()
    })
