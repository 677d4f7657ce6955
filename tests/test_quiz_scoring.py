"""Scoring of every question type, and the answer forms a member or a spreadsheet may type."""

from decimal import Decimal

import pytest

from weizhi.quiz import scoring
from weizhi.quiz.scoring import BLANK, HALF, JUDGE, MULTIPLE, PROPORTIONAL, SINGLE, mark


@pytest.mark.parametrize("typed", ["AB", "A,B", "A、B", "a b", "ＡＢ", " B A ", "A，B", "A;B"])
def test_letters_in_every_messy_form_read_as_the_same_answer(typed):
    assert scoring.parse_letters(typed, 4) == "AB"


def test_letters_past_the_options_or_not_letters_are_refused():
    with pytest.raises(scoring.AnswerError, match="不在选项中"):
        scoring.parse_letters("E", 4)
    with pytest.raises(scoring.AnswerError, match="答案为空"):
        scoring.parse_letters("  ", 4)
    with pytest.raises(scoring.AnswerError):
        scoring.parse_letters("1", 4)


@pytest.mark.parametrize(
    "typed,expected",
    [("对", "对"), ("正确", "对"), ("√", "对"), ("T", "对"), ("t", "对"), ("Ｔ", "对"),
     ("错", "错"), ("错误", "错"), ("×", "错"), ("F", "错"), ("false", "错")],
)  # fmt: skip
def test_judge_words(typed, expected):
    assert scoring.parse_judge(typed) == expected


def test_a_single_choice_is_right_or_wrong():
    assert mark(SINGLE, "B", "B", 2) == scoring.Marked(True, Decimal(2))
    assert mark(SINGLE, "B", "b", 2).correct
    assert mark(SINGLE, "B", "A", 2) == scoring.Marked(False, Decimal(0))
    assert mark(SINGLE, "B", "", 2).points == 0


def test_multiple_choice_all_or_nothing_by_default():
    assert mark(MULTIPLE, "ABD", "DBA", 4).points == 4
    assert mark(MULTIPLE, "ABD", "AB", 4) == scoring.Marked(False, Decimal(0))


def test_multiple_choice_half_credit_for_a_subset_without_a_wrong_letter():
    assert mark(MULTIPLE, "ABD", "AB", 4, HALF).points == 2
    assert mark(MULTIPLE, "ABD", "A", 4, HALF).points == 2
    assert mark(MULTIPLE, "ABD", "ABC", 4, HALF).points == 0
    assert mark(MULTIPLE, "ABD", "ABD", 4, HALF).points == 4


def test_multiple_choice_proportional_credit():
    assert mark(MULTIPLE, "ABD", "AB", 3, PROPORTIONAL).points == Decimal(2)
    assert mark(MULTIPLE, "ABCD", "A", 1, PROPORTIONAL).points == Decimal("0.3")
    assert mark(MULTIPLE, "ABD", "AC", 3, PROPORTIONAL).points == 0


def test_judge_accepts_any_judge_word():
    assert mark(JUDGE, "对", "√", 1).correct
    assert mark(JUDGE, "错", "错误", 1).correct
    assert not mark(JUDGE, "错", "对", 1).correct
    assert not mark(JUDGE, "错", "也许", 1).correct


def test_fill_in_ignores_width_spaces_and_case_and_takes_any_accepted_answer():
    answer = "民主集中制|民主 集中制;ＣＰＣ"
    assert mark(BLANK, answer, ["民主集中制", "cpc"], 2).points == 2
    assert mark(BLANK, answer, [" 民 主集中制 ", "ＣＰＣ"], 2).correct
    assert mark(BLANK, answer, ["民主集中", "CPC"], 2) == scoring.Marked(False, Decimal(0))


def test_fill_in_with_several_blanks_may_earn_partial_credit():
    answer = "一;二;三"
    assert mark(BLANK, answer, ["一", "二", "错"], 3, PROPORTIONAL).points == 2
    assert mark(BLANK, answer, ["一", "二", "错"], 3, HALF).points == Decimal("1.5")
    assert mark(BLANK, answer, ["一"], 3).points == 0


def test_blanks_are_parsed_from_a_cell():
    assert (
        scoring.parse_blanks("党章 | 中国共产党章程 ； 民主集中制")
        == "党章|中国共产党章程;民主集中制"
    )
    assert scoring.blank_count("a|b;c") == 2
    with pytest.raises(scoring.AnswerError):
        scoring.parse_blanks(" ; | ")
