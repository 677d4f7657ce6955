#!/usr/bin/env python3
"""How fast the sensitive-word screen reads text, next to a plain per-term substring scan.

    .venv/bin/python bench/screen.py [--terms 50000] [--megabytes 50] [--sample-kb 64]

A lexicon of random Chinese terms (3–6 characters, some with latin letters) and a body of
mixed Chinese text (common characters, punctuation, digits, latin words, emoji, with some
lexicon terms planted, some of them broken up by noise) are generated with a fixed seed. The
automaton (weizhi.screen.matcher.Matcher, with the default allow-list) screens the whole body
in documents of about 2 KB, normalisation included. The baseline normalises each document the
same way and then tests every term with `term in text`; at 50,000 terms it would take hours
over 50 MB, so it runs over the first --sample-kb of the same documents and its rate is
extrapolated (rates are per byte of UTF-8 input, so the two are comparable).
No Django, no database.
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weizhi.screen.matcher import Matcher, default_allowed
from weizhi.screen.normalise import normalise

# Common characters for the text; terms draw also from the whole CJK block, as real lexicons
# hold rare characters and phrases that ordinary text seldom contains.
COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
    "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处府研"
)
NOISE = [" ", "，", "。", "\u200b", "😀", "-", "　", "👍"]
LATIN = ["VPN", "App", "WiFi", "ok", "5G", "Ｈ５"]


def make_lexicon(rng: random.Random, count: int) -> list[tuple[str, str]]:
    terms = set()
    while len(terms) < count:
        length = rng.randint(3, 6)
        term = "".join(
            rng.choice(COMMON) if rng.random() < 0.3 else chr(rng.randint(0x4E00, 0x9FA5))
            for _ in range(length)
        )
        if rng.random() < 0.05:
            term = rng.choice(LATIN) + term
        terms.add(term)
    return [(t, f"类别{i % 8}") for i, t in enumerate(sorted(terms))]


def make_documents(rng: random.Random, terms: list[str], megabytes: int) -> list[str]:
    sentences = []
    for _ in range(4000):
        parts = []
        for _ in range(rng.randint(8, 40)):
            r = rng.random()
            if r < 0.85:
                parts.append(rng.choice(COMMON))
            elif r < 0.93:
                parts.append(rng.choice("，。、；！？“”（）"))
            elif r < 0.97:
                parts.append(rng.choice(LATIN) if rng.random() < 0.5 else str(rng.randint(0, 2026)))
            else:
                parts.append(rng.choice(NOISE))
        if rng.random() < 0.02:
            term = rng.choice(terms)
            parts.append(rng.choice(NOISE).join(term) if rng.random() < 0.5 else term)
        sentences.append("".join(parts))
    target = megabytes * 1024 * 1024
    documents, size = [], 0
    while size < target:
        doc = "".join(rng.choice(sentences) for _ in range(30))
        documents.append(doc)
        size += len(doc.encode())
    return documents


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--terms", type=int, default=50_000)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--sample-kb", type=int, default=64)
    args = parser.parse_args()
    rng = random.Random(14)
    lexicon = make_lexicon(rng, args.terms)
    documents = make_documents(rng, [t for t, _ in lexicon], args.megabytes)
    total_bytes = sum(len(d.encode()) for d in documents)
    allowed = default_allowed()

    started, cpu_started = time.perf_counter(), time.process_time()
    matcher = Matcher(lexicon, allowed)
    build_s = time.perf_counter() - started
    build_cpu_s = time.process_time() - cpu_started

    started, cpu_started = time.perf_counter(), time.process_time()
    flagged = sum(matcher.screen(doc).flagged for doc in documents)
    screen_s = time.perf_counter() - started
    screen_cpu_s = time.process_time() - cpu_started
    screen_rate = total_bytes / screen_s / 1e6

    keys = [normalise(t) for t, _ in lexicon]
    sample, sample_bytes = [], 0
    for doc in documents:
        if sample_bytes >= args.sample_kb * 1024:
            break
        sample.append(doc)
        sample_bytes += len(doc.encode())
    started, cpu_started = time.perf_counter(), time.process_time()
    naive_flagged = 0
    for doc in sample:
        normal = normalise(doc)
        naive_flagged += any(key in normal for key in keys)
    naive_s = time.perf_counter() - started
    naive_cpu_s = time.process_time() - cpu_started
    naive_rate = sample_bytes / naive_s / 1e6
    auto_on_sample = sum(matcher.screen(doc).flagged for doc in sample)

    result = {
        "terms": len(lexicon),
        "documents": len(documents),
        "megabytes": round(total_bytes / 1e6, 1),
        "build_seconds": round(build_s, 3),
        "build_cpu_seconds": round(build_cpu_s, 3),
        "screen_seconds": round(screen_s, 2),
        "screen_mb_per_s": round(screen_rate, 1),
        # On a shared machine the wall clock counts time spent waiting for a core.
        "screen_mb_per_cpu_s": round(total_bytes / screen_cpu_s / 1e6, 1),
        "flagged_documents": flagged,
        "naive_sample_kb": round(sample_bytes / 1024),
        "naive_mb_per_s": round(naive_rate, 4),
        "naive_extrapolated_seconds_for_all": round(total_bytes / 1e6 / naive_rate),
        "speed_up": round(screen_rate / naive_rate),
        "speed_up_cpu": round((total_bytes / screen_cpu_s) / (sample_bytes / naive_cpu_s)),
        "sample_agreement": f"automaton {auto_on_sample} / naive {naive_flagged} flagged",
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(
        f"\n自动机构建 {build_s:.2f} s；筛查 {result['megabytes']} MB 用 {screen_s:.1f} s，"
        f"{screen_rate:.1f} MB/s（按 CPU 时间 {result['screen_mb_per_cpu_s']} MB/s）；"
        f"逐词子串扫描（{result['naive_sample_kb']} KB 样本外推）"
        f"{naive_rate:.3f} MB/s；加速 {result['speed_up']}×"
    )


if __name__ == "__main__":
    main()
