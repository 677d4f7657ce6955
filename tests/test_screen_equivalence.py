"""The fast screen finds what the definition says, nothing more and nothing less: its
normaliser against normalise_reference, character by character and on random mixes of
evasions, and the matcher against a plain substring search over the reference normal form.
Pure Python, no database (the command's test at the end needs Django settings only)."""

import io
import json
import random

import pytest
from django.core.management import call_command

from weizhi.screen.matcher import Matcher, Result, default_allowed
from weizhi.screen.normalise import TABLE_END, normalise, normalise_reference

SIMPLIFIED = "的一是在不了有和人这中大为上个国我以要他时来用们生到法轮功赌博网站书记党章发展开关"
# Traditional forms, each beside its simplified one, and characters whose simplified form
# lies in CJK extension B (U+346E → U+2B748, U+7E50 → U+30B38).
TRADITIONAL = "書书記记黨党發发輪轮網网賭赌開开關关國国為为個个們们說说\u346e\u7e50\u92c2"
WIDE = "".join(
    chr(c) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
)
LATIN = "abcvpnXYZVPNßẞİıſﬁﬃǅΣσςΐKÅДжΩ0123456789٣"
COMPAT = "①⑩㈱㍿½ⅻ\ufa6c\ufacf\uf900ｶﾞ"
NOISE = [
    " ",
    "\t",
    "\n",
    "，",
    "。",
    "！",
    "、",
    "“",
    "”",
    "-",
    "_",
    "—",
    "…",
    "·",
    "\u3000",
    "\u00a0",
]
NOISE += ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u0301", "\ufe0f"]
NOISE += ["😀", "👍🏻", "🔥", "🇨🇳", "\U000e0067\U000e0062", "\ud800", "\udfff"]
BEYOND = "\U00020000\U0002a6d6\U0002b748\U0002f800\U0002f81a\U00030000\U000f0000"
POOLS = [(SIMPLIFIED, 40), (TRADITIONAL, 15), (WIDE, 8), (LATIN, 10), (COMPAT, 4), (BEYOND, 3)]
# Characters that no term holds, in texts only: between two parts of a term they separate them.
UNLISTED = "甲乙丙丁戊己庚辛壬癸"
TEXT_POOLS = [*POOLS, (UNLISTED, 10)]


def random_text(rng: random.Random, length: int, pools=TEXT_POOLS) -> str:
    parts = []
    for _ in range(length):
        if rng.random() < 0.2:
            parts.append(rng.choice(NOISE))
        else:
            pool = rng.choices([p for p, _ in pools], [w for _, w in pools])[0]
            parts.append(rng.choice(pool))
    return "".join(parts)


def disguised(rng: random.Random, term: str) -> str:
    """The term as an evader writes it: noise between its characters, traditional and
    full-width forms, another case; or broken by a character no term has."""
    simplified_to_traditional = {TRADITIONAL[i + 1]: TRADITIONAL[i] for i in range(0, 24, 2)}
    chars = []
    for char in term:
        if char in simplified_to_traditional and rng.random() < 0.5:
            char = simplified_to_traditional[char]
        elif char.isascii() and char.isalnum() and rng.random() < 0.5:
            char = chr(ord(char.upper()) + 0xFEE0)
        chars.append(char.swapcase() if rng.random() < 0.3 else char)
    between = NOISE if rng.random() < 0.8 else list(UNLISTED)
    return "".join(c + (rng.choice(between) if rng.random() < 0.5 else "") for c in chars)


def test_every_character_in_the_table_normalises_as_the_definition_says():
    wrong = [
        code for code in range(TABLE_END) if normalise(chr(code)) != normalise_reference(chr(code))
    ]
    assert wrong == []


def test_characters_beyond_the_table_normalise_as_the_definition_says():
    for code in [
        *range(TABLE_END, TABLE_END + 0x3000),
        *range(0x2F800, 0x2FA20),
        *range(0xE0000, 0xE0200),
    ]:
        assert normalise(chr(code)) == normalise_reference(chr(code)), hex(code)


def test_random_mixes_of_evasions_normalise_as_the_definition_says():
    rng = random.Random(1414)
    for _ in range(5000):
        text = random_text(rng, rng.randint(0, 60))
        assert normalise(text) == normalise_reference(text), ascii(text)


class ReferenceScreen:
    """The matcher's contract by plain substring search over the reference normal form:
    every occurrence of every key, reported by where it ends and then longest first, as
    the automaton reports them; a term's occurrence counts unless an allowed phrase's
    occurrence covers it."""

    def __init__(self, terms, allowed) -> None:
        self.hits: dict[str, list[tuple[str, str]]] = {}
        for term, category in terms:
            if key := normalise_reference(term):
                self.hits.setdefault(key, []).append((term, category))
        self.allowed = {normalise_reference(p) for p in allowed} - {""}
        self.keys = self.hits.keys() | self.allowed

    def screen(self, text: str) -> Result:
        normal = normalise_reference(text)
        found = []
        for key in self.keys:
            start = normal.find(key)
            while start >= 0:
                found.append((start + len(key), -len(key), key))
                start = normal.find(key, start + 1)
        found.sort()
        spans = [(end + length, end) for end, length, key in found if key in self.allowed]
        terms: dict[str, None] = {}
        categories: dict[str, None] = {}
        for end, length, key in found:
            start = end + length
            if any(a <= start and end <= b for a, b in spans):
                continue
            for term, category in self.hits.get(key, []):
                terms[term] = None
                categories[category] = None
        return Result(tuple(terms), tuple(categories))


def random_lexicon(rng: random.Random, count: int) -> list[tuple[str, str]]:
    terms = {random_text(rng, rng.randint(3, 6), POOLS) for _ in range(count)}
    return [
        (t, f"类别{i % 5}") for i, t in enumerate(sorted(terms)) if len(normalise_reference(t)) > 1
    ]


def texts_with_planted_terms(rng: random.Random, terms: list[str], count: int) -> list[str]:
    texts = []
    for _ in range(count):
        parts = [random_text(rng, rng.randint(0, 30))]
        for _ in range(rng.choice([0, 0, 1, 3])):
            parts.append(disguised(rng, rng.choice(terms)))
            parts.append(random_text(rng, rng.randint(0, 10)))
        texts.append("".join(parts))
    return texts


@pytest.fixture(scope="module")
def varied():
    rng = random.Random(14)
    terms = random_lexicon(rng, 400)
    term_texts = [t for t, _ in terms]
    # Allowed phrases, some of them holding terms, some of them listed terms themselves.
    allowed = [*default_allowed(), *rng.sample(term_texts, 20)]
    allowed += [random_text(rng, 2) + t + random_text(rng, 1) for t in rng.sample(term_texts, 20)]
    texts = texts_with_planted_terms(rng, term_texts + allowed[-40:], 3000)
    texts += [t for t in allowed[-40:]] + ["", " ", "\ud800"]
    return terms, allowed, texts


def test_the_matcher_finds_what_a_substring_search_over_the_definition_finds(varied):
    terms, allowed, texts = varied
    matcher, reference = Matcher(terms, allowed), ReferenceScreen(terms, allowed)
    flagged = 0
    for text in texts:
        expected = reference.screen(text)
        assert matcher.screen(text) == expected, ascii(text)
        flagged += expected.flagged
    # The corpus exercises both answers.
    assert len(texts) / 4 < flagged < len(texts) * 3 / 4


def test_a_lexicon_of_more_characters_than_the_bmp_has_codes_for():
    """More than 63,000 different characters: the rarest get codes beyond the BMP."""
    chars = [
        chr(c) for c in [*range(0x4E00, 0xA000), *range(0x3400, 0x4DC0), *range(0xAC00, 0xD7A4)]
    ]
    chars += [chr(c) for c in range(0x20000, 0x2A6E0)]
    terms = [(chars[i] + chars[i + 1], "罕见") for i in range(0, len(chars) - 1, 2)]
    assert len({normalise_reference(c) for c in chars}) > 64_000
    matcher, reference = Matcher(terms, ()), ReferenceScreen(terms, ())
    rng = random.Random(7)
    for term, _ in [terms[0], terms[15_000], terms[30_000], terms[-1], *rng.sample(terms, 20)]:
        text = "前文" + term[0] + "\u200b" + term[1] + "后文"
        assert matcher.screen(text) == reference.screen(text), ascii(term)
        assert term in matcher.screen(text).terms


def test_the_command_prints_what_the_reference_says_byte_for_byte(varied, tmp_path):
    terms, _, texts = varied
    path = tmp_path / "lexicon.txt"
    # Lines of a file: no tabs, line breaks or surrounding spaces inside a term.
    unfit = set("\t\n\r#\ufeff\ud800\udfff")
    listed = [(t, c) for t, c in terms if t == t.strip() and not set(t) & unfit]
    path.write_text("".join(f"{t}\t{c}\n" for t, c in listed), encoding="utf-8")
    lines = [t.replace("\n", " ").replace("\r", " ") for t in texts]
    lines = [t.encode("utf-8", "replace").decode() for t in lines]  # as stdin decodes them
    reference = ReferenceScreen(listed, default_allowed())
    out = io.StringIO()
    call_command(
        "screen_text",
        "--lexicon",
        str(path),
        stdin=io.StringIO("\n".join(lines) + "\n"),
        stdout=out,
    )
    expected = "".join(
        json.dumps(reference.screen(line).as_json(), ensure_ascii=False) + "\n" for line in lines
    )
    assert out.getvalue() == expected


def test_plane_one_letters_and_plane_two_compatibility_ideographs_fold():
    # Mathematical bold letters (U+1D41F …) spell a term in disguise; U+2F800 is a
    # compatibility form of 丽.
    disguised = "\U0001d41f\U0001d41a\U0001d425\U0001d42e\U0001d427"
    assert normalise(disguised) == normalise_reference(disguised) == "falun"
    assert normalise("\U0002f800") == normalise_reference("\U0002f800") == "丽"
    long_run = "\U00020000" * 40  # beyond the table, longer than the cached runs
    assert normalise(long_run) == normalise_reference(long_run)
