"""A small trained second opinion for the early-warning flag: multinomial naive Bayes over
character 1–3-grams, trained on the labelled messages shipped with the app
(weizhi/inbox/data/labelled.jsonl, the set the rules were written against, and everyday.jsonl,
the office's everyday traffic — 党费, 组织关系, 入党, 班车, 食堂 — with warnings of every type).

Why: the rules almost never raise a false alarm but miss most plainly worded trouble. The
model only adds flags (rules OR model); the rules still give the reasons. Pure Python, no new
dependency, trained once per process on first use (bench/flag.py and the tests time it) and
deterministic — same data, same model, same threshold.

The threshold is chosen by 5-fold cross-validation on the training data only: the lowest
probability at which the model alone still reaches precision ≥ 0.8 on held-out folds.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .textfold import normalise

LABELLED = Path(__file__).parent / "data" / "labelled.jsonl"
EVERYDAY = Path(__file__).parent / "data" / "everyday.jsonl"
FOLDS = 5
MIN_PRECISION = 0.8
SMOOTHING = 0.5
IGNORED = set(" \t\n，。！？；：、,.!?;:“”\"'（）()…~")


def load_labelled(path: Path = LABELLED) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def training_rows() -> list[dict]:
    """Everything the model learns from: the rules' labelled set and the everyday messages."""
    return load_labelled(LABELLED) + load_labelled(EVERYDAY)


def grams(text: str) -> list[str]:
    """Character 1–3-grams of the normalised text, none spanning punctuation."""
    out: list[str] = []
    for chunk in "".join(" " if c in IGNORED else c for c in normalise(text)).split():
        for n in (1, 2, 3):
            out += [chunk[i : i + n] for i in range(len(chunk) - n + 1)]
    return out


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@dataclass
class NaiveBayes:
    log_prior: tuple[float, float]  # (calm, warn)
    log_lik: dict[str, tuple[float, float]]

    @classmethod
    def train(cls, rows: list[dict]) -> NaiveBayes:
        return cls.from_grams([(grams(row["text"]), bool(row["warn"])) for row in rows])

    @classmethod
    def from_grams(cls, samples: list[tuple[list[str], bool]]) -> NaiveBayes:
        counts = (Counter(), Counter())
        docs = [0, 0]
        for text_grams, warn in samples:
            docs[warn] += 1
            counts[warn].update(text_grams)
        vocab = set(counts[0]) | set(counts[1])
        log_totals = [math.log(sum(c.values()) + SMOOTHING * (len(vocab) + 1)) for c in counts]
        log_lik = {
            g: (
                math.log(counts[0][g] + SMOOTHING) - log_totals[0],
                math.log(counts[1][g] + SMOOTHING) - log_totals[1],
            )
            for g in vocab
        }
        prior = tuple(math.log(max(d, 1) / max(sum(docs), 1)) for d in docs)
        return cls(prior, log_lik)

    def log_odds(self, text: str) -> float:
        return self._log_odds(grams(text))

    def _log_odds(self, text_grams: list[str]) -> float:
        # An n-gram never seen in training is no evidence either way. Smoothing would give it
        # log(total calm / total warn): a class-size artefact that made every new word (繁体,
        # 班车, 党费) lean to a warning.
        score = self.log_prior[1] - self.log_prior[0]
        for g in text_grams:
            if g in self.log_lik:
                calm, warn = self.log_lik[g]
                score += warn - calm
        return score

    def probability(self, text: str) -> float:
        return _sigmoid(self.log_odds(text))

    def flag_probability(self, text: str) -> float:
        return self._flag_probability(grams(text))

    def _flag_probability(self, text_grams: list[str]) -> float:
        """The probability, or 0 when no word of the text leans to a warning: a message the
        model knows nothing about (an emoji, "您好！") sits at the prior, and a flag must be
        able to name the words that raised it."""
        for g in text_grams:
            if len(g) >= 2 and g in self.log_lik:
                calm, warn = self.log_lik[g]
                if warn > calm:
                    return _sigmoid(self._log_odds(text_grams))
        return 0.0

    def strongest(self, text: str, n: int = 3) -> list[str]:
        """The n-grams (two characters or more) in the text that lean hardest to a warning."""
        weights = {}
        for g in grams(text):
            if len(g) >= 2 and g in self.log_lik:
                calm, warn = self.log_lik[g]
                if warn > calm:
                    weights[g] = warn - calm
        picked: list[str] = []
        for g in sorted(weights, key=lambda x: (-weights[x], x)):
            if not any(g in p or p in g for p in picked):
                picked.append(g)
            if len(picked) == n:
                break
        return picked


def cross_validated(rows: list[dict], folds: int = FOLDS) -> list[float]:
    """Held-out probabilities for every row; fold = position modulo `folds` (deterministic)."""
    samples = [(grams(r["text"]), bool(r["warn"])) for r in rows]
    probs = [0.0] * len(rows)
    for f in range(folds):
        model = NaiveBayes.from_grams([s for i, s in enumerate(samples) if i % folds != f])
        for i, (text_grams, _) in enumerate(samples):
            if i % folds == f:
                probs[i] = model._flag_probability(text_grams)
    return probs


def choose_threshold(rows: list[dict], probs: list[float], floor: float = MIN_PRECISION) -> float:
    """The lowest threshold whose held-out precision is ≥ floor (most recall at that precision)."""
    best = 1.0
    # Never 0: text the model knows nothing of scores 0, and would be flagged.
    for t in sorted({p for p in probs if p > 0}, reverse=True):
        flagged = [r["warn"] for r, p in zip(rows, probs, strict=True) if p >= t]
        if flagged and sum(flagged) / len(flagged) >= floor:
            best = t
    return best


@dataclass
class FlagModel:
    bayes: NaiveBayes
    threshold: float

    def flags(self, text: str) -> bool:
        return bool(text.strip()) and self.bayes.flag_probability(text) >= self.threshold

    def why(self, text: str) -> str:
        words = "、".join(f"“{g}”" for g in self.bayes.strongest(text))
        tail = f"（相近的字词：{words}）" if words else ""
        return f"措辞与以往的预警留言相近（模型判断），请人工阅读{tail}。"


_model: FlagModel | None = None
_lock = threading.Lock()


def build(rows: list[dict] | None = None) -> FlagModel:
    rows = training_rows() if rows is None else rows
    threshold = choose_threshold(rows, cross_validated(rows))
    return FlagModel(NaiveBayes.train(rows), threshold)


def get() -> FlagModel:
    """The process's model, trained on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = build()
    return _model
