"""The sensitive-word matcher and its normalisation: pure Python, no database."""

import pytest

from weizhi.screen.matcher import Matcher, decode_lexicon, default_allowed, parse_lexicon_lines
from weizhi.screen.normalise import normalise

LEXICON = [("法轮功", "邪教"), ("赌博网站", "违法"), ("vpn翻墙", "违法"), ("台独", "分裂")]


@pytest.fixture(scope="module")
def matcher():
    return Matcher(LEXICON, default_allowed())


def test_normalise_folds_width_case_and_traditional_characters():
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("VPN") == "vpn"
    assert normalise("書記 黨章 發展") == "书记党章发展"


@pytest.mark.parametrize(
    "text",
    [
        "他们在传法轮功",
        "他们在传法 轮 功",  # spaces
        "他们在传法　轮　功",  # full-width spaces
        "法，轮。功！",  # punctuation
        "法-轮_功",
        "法\u200b轮\u200c功\u200d",  # zero-width characters
        "法\ufeff轮\u2060功",
        "法😀轮🔥功",  # emoji
        "法👍🏻轮功",  # emoji with a skin-tone modifier
        "法輪功",  # traditional
        "打开ＶＰＮ翻墙",  # full-width latin
        "打开Vpn 翻 墙",  # case and spaces
        "台\n独",  # a line break
    ],
)
def test_each_evasion_is_still_caught(matcher, text):
    assert matcher.screen(text).flagged, text


def test_a_hit_names_the_term_as_listed_and_its_category(matcher):
    result = matcher.screen("这里有赌 博 网 站的广告，还有法輪功")
    assert result.terms == ("赌博网站", "法轮功")
    assert result.categories == ("违法", "邪教")
    assert result.as_json() == {
        "flagged": True,
        "terms": ["赌博网站", "法轮功"],
        "categories": ["违法", "邪教"],
    }


def test_clean_text_is_not_flagged(matcher):
    assert matcher.screen("今天支部组织学习，大家发言积极。").as_json() == {
        "flagged": False,
        "terms": [],
        "categories": [],
    }
    assert not matcher.screen("").flagged


PARTY_LEXICON = [
    ("习近平", "政治人物"),
    ("共产党", "政治"),
    ("党章", "政治"),
    ("中央", "政治"),
    ("书记", "政治"),
    ("人民日报", "媒体"),
]
PARTY_SENTENCES = [
    "深入学习贯彻习近平新时代中国特色社会主义思想。",
    "习近平总书记在二十大报告中强调，全面从严治党永远在路上。",
    "认真学习党章，做一名合格的共产党员。",
    "中国共产党第二十次全国代表大会胜利召开。",
    "坚决维护党中央权威和集中统一领导。",
    "支部书记带头讲党课，党委书记参加组织生活会。",
    "今天的人民日报评论员文章值得一读。",
    "中共中央办公厅印发通知。",
    "党 章 学 习 小 组",  # spaces between the characters of an allowed phrase
    "認真學習黨章",  # traditional
]


def test_everyday_party_building_sentences_are_not_flagged_by_a_public_lexicon():
    matcher = Matcher(PARTY_LEXICON, default_allowed())
    for sentence in PARTY_SENTENCES:
        assert not matcher.screen(sentence).flagged, sentence


def test_without_the_default_allow_list_the_same_sentences_would_be_flagged():
    matcher = Matcher(PARTY_LEXICON, ())
    assert all(matcher.screen(s).flagged for s in PARTY_SENTENCES)


def test_a_longer_term_containing_an_allowed_word_is_still_flagged():
    matcher = Matcher([*PARTY_LEXICON, ("打倒共产党", "反动")], default_allowed())
    result = matcher.screen("有人喊打倒 共产党")
    assert result.terms == ("打倒共产党",) and result.categories == ("反动",)


def test_an_allowed_phrase_covers_only_the_hits_inside_it():
    matcher = Matcher([("赌博", "违法")], ["反赌博宣传"])
    assert not matcher.screen("开展反赌博宣传活动").flagged
    assert matcher.screen("开展反赌博宣传活动，另有人网上赌博").terms == ("赌博",)


def test_two_terms_with_the_same_normal_form_are_both_named():
    matcher = Matcher([("ＶＰＮ", "违法"), ("vpn", "技术")], ())
    result = matcher.screen("用VPN")
    assert set(result.terms) == {"ＶＰＮ", "vpn"} and set(result.categories) == {"违法", "技术"}


def test_an_empty_lexicon_flags_nothing():
    assert not Matcher([], default_allowed()).screen("法轮功").flagged


def test_lexicon_files_are_read_in_utf8_with_or_without_bom_and_in_gbk():
    text = "# 注释\n法轮功\n赌博网站\t违法\n\n"
    for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gbk")):
        assert parse_lexicon_lines(decode_lexicon(data).splitlines(), "未分类") == [
            ("法轮功", "未分类"),
            ("赌博网站", "违法"),
        ]
