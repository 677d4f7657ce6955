#!/usr/bin/env python3
"""The early-warning flag (思想动态预警) on each labelled message set: precision, recall and F1
for the rules alone and for rules + model, and every false alarm and miss, with its reason.

    .venv/bin/python bench/flag.py [tests/data/inbox/fresh3.jsonl ...] [--quiet]

With no file: the labelled set and every tests/data/inbox/fresh*.jsonl. Pure Python, the
starting rules (weizhi/inbox/default_rules.py), no database: what a fresh install does.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from weizhi.inbox import classify, flagmodel  # noqa: E402
from weizhi.inbox.default_rules import DEFAULT_RULES  # noqa: E402


def score(rows: list[dict], model: bool) -> tuple[dict, list[tuple[dict, classify.Result]]]:
    tp = fp = fn = 0
    wrong = []
    for row in rows:
        result = classify.classify(row["text"], DEFAULT_RULES, model=model)
        tp += row["warn"] and result.warn
        fp += result.warn and not row["warn"]
        fn += row["warn"] and not result.warn
        if result.warn != row["warn"]:
            wrong.append((row, result))
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}, wrong


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--quiet", action="store_true", help="numbers only, no error list")
    args = parser.parse_args()
    files = args.files or [
        flagmodel.LABELLED,
        *sorted((ROOT / "tests" / "data" / "inbox").glob("fresh*.jsonl")),
    ]
    model = flagmodel.get()
    print(f"model threshold {model.threshold:.3f}")
    for path in files:
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
        warnings = sum(r["warn"] for r in rows)
        for label, use_model in (("rules alone", False), ("rules + model", True)):
            m, wrong = score(rows, use_model)
            print(
                f"{path.name} ({len(rows)}, {warnings} warnings), {label}: precision "
                f"{m['precision']:.2f} recall {m['recall']:.2f} F1 {m['f1']:.2f} "
                f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']})"
            )
            if args.quiet:
                continue
            for row, result in wrong:
                kind = "false alarm" if result.warn else "miss"
                p = model.bayes.probability(row["text"])
                print(f"  {kind:11} {row['id']} p={p:.2f} {row['text']}  {result.why}")


if __name__ == "__main__":
    main()
