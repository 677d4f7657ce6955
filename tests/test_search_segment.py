from weizhi.search.segment import Term, index_tokens, query_groups, segment_text


def test_it_cuts_a_chinese_run_into_overlapping_bigrams_and_its_last_character():
    assert index_tokens("抗洪抢险") == ["抗洪", "洪抢", "抢险", "险"]


def test_it_keeps_a_lone_chinese_character_as_one_token():
    assert index_tokens("党") == ["党"]


def test_it_keeps_ascii_words_whole_and_lowercased():
    assert index_tokens("Hello World") == ["hello", "world"]


def test_it_splits_where_chinese_meets_letters_or_digits():
    assert index_tokens("GDP增长2026年") == ["gdp", "增长", "长", "2026", "年"]


def test_it_keeps_letters_and_digits_of_one_word_together():
    assert index_tokens("5G covid19") == ["5g", "covid19"]


def test_it_drops_chinese_and_ascii_punctuation():
    assert index_tokens("抗洪,抢险。“防汛”!(a-b)") == [
        "抗洪",
        "洪",
        "抢险",
        "险",
        "防汛",
        "汛",
        "a",
        "b",
    ]


def test_it_folds_full_width_letters_digits_and_spaces():
    assert index_tokens("ＧＤＰ２０２６\u3000抗洪") == ["gdp2026", "抗洪", "洪"]


def test_it_keeps_accented_letters_in_words():
    assert index_tokens("Café") == ["café"]


def test_it_treats_kana_and_hangul_as_unspaced_scripts():
    assert index_tokens("ひらがな") == ["ひら", "らが", "がな", "な"]
    assert index_tokens("한국어") == ["한국", "국어", "어"]


def test_segment_text_joins_tokens_with_single_spaces():
    assert segment_text("  抗洪  抢险 ") == "抗洪 洪 抢险 险"


def test_segment_text_of_empty_or_blank_text_is_empty():
    assert segment_text("") == ""
    assert segment_text(" \t\n ") == ""


def test_a_query_asks_for_every_bigram_of_a_chinese_word():
    assert query_groups("抗洪抢险") == [[Term("抗洪"), Term("洪抢"), Term("抢险")]]


def test_a_query_does_not_ask_for_the_trailing_character():
    # The document 增长率 has no token 长 of its own, yet 增长 must find it.
    assert query_groups("增长") == [[Term("增长")]]


def test_a_one_character_query_is_a_prefix_term():
    assert query_groups("险") == [[Term("险", prefix=True)]]


def test_a_query_keeps_one_group_per_space_separated_word():
    assert query_groups("2026年 抗洪") == [
        [Term("2026"), Term("年", prefix=True)],
        [Term("抗洪")],
    ]


def test_a_query_mixing_scripts_in_one_word_keeps_them_in_one_group():
    assert query_groups("GDP增长") == [[Term("gdp"), Term("增长")]]


def test_a_query_lists_a_repeated_bigram_once():
    assert query_groups("哈哈哈") == [[Term("哈哈")]]


def test_a_query_of_only_spaces_or_punctuation_has_no_groups():
    assert query_groups("") == []
    assert query_groups("   ") == []
    assert query_groups('"*-() ,。') == []


def test_a_query_drops_fts_syntax_but_keeps_its_words_as_plain_words():
    assert query_groups('"抗洪" OR NEAR(a*) -b') == [
        [Term("抗洪")],
        [Term("or")],
        [Term("near"), Term("a")],
        [Term("b")],
    ]


def test_a_query_folds_full_width_characters_like_the_index_does():
    assert query_groups("ＧＤＰ增长") == query_groups("gdp增长")
