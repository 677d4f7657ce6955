"""The questionnaire's rules without a database: options, conditions, pages, answers."""

import pytest

from weizhi.surveys import logic
from weizhi.surveys.logic import Item, Refused, RuleError


def items() -> list[Item]:
    return [
        Item(
            "Q1",
            "single",
            "参加过吗",
            True,
            logic.parse_options("是\n否 [跳到第3页]\n不便回答 [结束]"),
        ),
        Item(
            "Q2",
            "multiple",
            "喜欢哪些",
            False,
            logic.parse_options("学习\n参观\n其他 [其他]"),
            min_choices=2,
            max_choices=2,
            page=1,
            condition=logic.parse_condition("Q1=A"),
        ),
        Item("Q3", "text", "说说看", True, page=1, max_length=10),
        Item("Q4", "nps", "推荐吗", True, page=2),
    ]


def test_option_marks_are_read_and_stripped():
    options = logic.parse_options("甲 [限额30]\n乙 [其他]\n丙 [跳到第2页]\n丁 [结束]\n\n")
    assert [o.key for o in options] == ["A", "B", "C", "D"]
    assert options[0].label == "甲" and options[0].quota == 30
    assert options[1].other and options[2].jump == 2 and options[3].jump == logic.END


def test_an_option_without_text_is_refused_in_chinese():
    with pytest.raises(RuleError, match="没有选项文字"):
        logic.parse_options("[其他]")


def test_conditions_combine_and_before_or():
    cond = logic.parse_condition("Q1=A 且 Q2=B 或 Q3>=4")
    assert logic.visible(Item("Q9", "text", "", condition=cond), {"Q1": "A", "Q2": ["B", "C"]})
    assert not logic.visible(Item("Q9", "text", "", condition=cond), {"Q1": "A", "Q2": ["C"]})
    assert logic.visible(Item("Q9", "text", "", condition=cond), {"Q3": 5})
    assert not logic.visible(Item("Q9", "text", "", condition=cond), {"Q3": 3})


def test_a_condition_it_cannot_read_says_how_to_write_one():
    with pytest.raises(RuleError, match="Q2=A"):
        logic.parse_condition("第二题选了A")


def test_a_condition_on_a_later_question_or_a_backward_jump_is_refused():
    bad = [
        Item("Q1", "single", "", options=logic.parse_options("是\n否")),
        Item("Q2", "text", "", condition=logic.parse_condition("Q3=A")),
        Item("Q3", "single", "", options=logic.parse_options("是 [跳到第1页]"), page=1),
    ]
    errors = logic.check_rules(bad)
    assert any("排在它前面" in e for e in errors)
    assert any("后面的页面" in e for e in errors)
    assert logic.check_rules(items()) == []


def test_the_path_follows_jumps_and_ends():
    assert logic.path(items(), {"Q1": "A"}) == [0, 1, 2]
    assert logic.path(items(), {"Q1": "B"}) == [0, 2]
    assert logic.path(items(), {"Q1": "C"}) == [0]


def test_finish_drops_answers_off_the_path_and_lists_missing_required():
    kept, missing = logic.finish(items(), {"Q1": "B", "Q2": ["A", "B"], "Q3": "旧答案"})
    assert kept == {"Q1": "B"} and missing == ["Q4"]


def read(data, answers=None, page=1, offered=None):
    return logic.read_page(items(), page, answers or {"Q1": "A"}, data, offered or {})


def test_an_answer_to_a_hidden_question_is_refused():
    with pytest.raises(Refused, match="本页没有的题目"):
        read({"Q2": ["A"], "Q3": ["好"]}, answers={"Q1": "B"})


def test_an_option_not_offered_is_refused():
    with pytest.raises(Refused, match="未提供的选项"):
        read({"Q2": ["A", "Z"], "Q3": ["好"]})
    with pytest.raises(Refused, match="未提供的选项"):
        logic.read_page(items(), 0, {}, {"Q1": ["A"]}, {"Q1": {"B"}})


def test_over_long_text_is_refused():
    with pytest.raises(Refused, match="10 字"):
        read({"Q2": ["A", "B"], "Q3": ["一" * 11]})


def test_choice_counts_and_other_text_are_checked():
    got, errors = read({"Q2": ["A"], "Q3": ["好"]})
    assert errors == {"Q2": "至少选择 2 项。"}
    got, errors = read({"Q2": ["A", "C"], "Q3": ["好"]})
    assert errors == {"Q2": "请填写“其他”的具体内容。"}
    got, errors = read({"Q2": ["A", "C"], "Q2:other": ["志愿服务"], "Q3": ["好"]})
    assert errors == {} and got == {"Q2": ["A", "C"], "Q2:other": "志愿服务", "Q3": "好"}


def test_a_required_question_left_empty_is_an_error():
    assert read({"Q3": [""]})[1] == {"Q3": "此题必答。"}


def test_scales_matrix_ranking_number_and_date():
    qs = [
        Item("Q1", "rating", "", True),
        Item("Q2", "matrix", "", True, logic.parse_options("好\n差"), rows=["甲", "乙"]),
        Item("Q3", "ranking", "", True, logic.parse_options("一\n二\n三")),
        Item("Q4", "number", "", True, min_value=0, max_value=100),
        Item("Q5", "date", "", True),
    ]
    ok = {
        "Q1": ["5"],
        "Q2.0": ["A"],
        "Q2.1": ["B"],
        "Q3.A": ["2"],
        "Q3.B": ["3"],
        "Q3.C": ["1"],
        "Q4": ["42"],
        "Q5": ["2026-07-01"],
    }
    got, errors = logic.read_page(qs, 0, {}, ok, {})
    assert errors == {}
    assert got == {
        "Q1": 5,
        "Q2": {"0": "A", "1": "B"},
        "Q3": ["C", "A", "B"],
        "Q4": 42,
        "Q5": "2026-07-01",
    }
    with pytest.raises(Refused, match="评分超出范围"):
        logic.read_page(qs, 0, {}, {**ok, "Q1": ["6"]}, {})
    bad = {**ok, "Q2.1": [""], "Q3.A": ["1"], "Q4": ["101"], "Q5": ["2026-02-30"]}
    assert set(logic.read_page(qs, 0, {}, bad, {})[1]) == {"Q2", "Q3", "Q4", "Q5"}


def test_a_nps_question_takes_zero_to_ten():
    got, errors = logic.read_page(items(), 2, {}, {"Q4": ["0"]}, {})
    assert got == {"Q4": 0} and errors == {}


def test_shuffling_is_stable_per_respondent_and_keeps_other_last():
    item = Item(
        "Q1",
        "single",
        "",
        options=logic.parse_options("\n".join("甲乙丙丁戊己庚") + "\n其他 [其他]"),
        shuffle=True,
    )
    first = [o.key for o in logic.shuffled(item, "person-1")]
    assert first == [o.key for o in logic.shuffled(item, "person-1")]
    orders = {tuple(o.key for o in logic.shuffled(item, f"p{n}")) for n in range(10)}
    assert len(orders) > 1 and all(order[-1] == "H" for order in orders)
