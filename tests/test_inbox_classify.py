"""Classification on arrival and the early-warning flag (思想动态预警), measured on messages
written for this project: weizhi/inbox/data/labelled.jsonl (the set the starting rules were
written against) and everyday.jsonl (the office's everyday traffic), which the model is trained
on and which ship with the app; and tests/data/inbox/fresh*.jsonl, each written and committed
before the classifier it first measured. fresh and fresh2 were never used to change a rule or
the model; fresh3's errors were studied to find the patterns behind the third round of fixes
(docs/flag3.md), and fresh4 was written after them and measured once."""

from __future__ import annotations

import importlib
import io
import json
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from tests.test_audience_support import member, tree, user_in
from weizhi.inbox import classify, flagmodel, services
from weizhi.inbox.default_rules import DEFAULT_RULES
from weizhi.inbox.models import Item, Message, Notification, Rule

DATA = Path(__file__).parent / "data" / "inbox"
CATEGORIES = {"question", "suggestion", "complaint", "help", "praise", "other"}


def load(name: str) -> list[dict]:
    path = flagmodel.LABELLED if name == "labelled.jsonl" else DATA / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_command(rows: list[dict]) -> list[dict]:
    stdin = io.StringIO("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = io.StringIO()
    call_command("classify_messages", stdin=stdin, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def precision_recall(rows: list[dict], results: list[dict]) -> tuple[float, float, int, int, int]:
    by_id = {r["id"]: r for r in results}
    tp = sum(1 for r in rows if r["warn"] and by_id[r["id"]]["warn"])
    fp = sum(1 for r in rows if not r["warn"] and by_id[r["id"]]["warn"])
    fn = sum(1 for r in rows if r["warn"] and not by_id[r["id"]]["warn"])
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), tp, fp, fn


def test_the_labelled_set_is_large_and_varied():
    rows = load("labelled.jsonl")
    assert len(rows) >= 300 and len({r["text"] for r in rows}) == len(rows)
    assert {r["category"] for r in rows} == CATEGORIES
    warn = [r for r in rows if r["warn"]]
    assert 0.2 < len(warn) / len(rows) < 0.5
    calm = [r["text"] for r in rows if not r["warn"]]
    # Ordinary questions that mention wages or safety, and negations, are in the set.
    assert sum("工资" in t for t in calm) >= 15 and sum("安全" in t for t in calm) >= 15
    assert sum(("没有" in t or "没" in t or "不" in t) for t in calm) >= 30


@pytest.mark.django_db
def test_the_warning_flag_on_the_labelled_set(capsys, settings):
    # The rules alone: the model is trained on this very set, so with it the numbers say nothing.
    settings.INBOX_FLAG_MODEL = False
    rows = load("labelled.jsonl")
    results = run_command(rows)
    p, r, tp, fp, fn = precision_recall(rows, results)
    category_hits = sum(
        res["category"] == row["category"] for row, res in zip(rows, results, strict=True)
    )
    with capsys.disabled():
        print(
            f"\nlabelled set ({len(rows)}), rules alone: warn precision {p:.2f} recall {r:.2f} "
            f"(tp {tp}, fp {fp}, fn {fn}); category accuracy {category_hits / len(rows):.2f}"
        )
    assert p >= 0.95 and r >= 0.95


# Per fresh set: the rules alone at least `tp` hits and at most `fp` false alarms; with the
# model, precision and recall at least these. Floors a little below what was measured
# (docs/flag3.md), so a change that makes the flag worse fails.
FRESH_FLOORS = {
    "fresh.jsonl": {"tp": 2, "fp": 3, "precision": 0.85, "recall": 0.90},
    "fresh2.jsonl": {"tp": 2, "fp": 3, "precision": 0.85, "recall": 0.90},
    "fresh3.jsonl": {"tp": 4, "fp": 5, "precision": 0.80, "recall": 0.90},
    "fresh4.jsonl": {"tp": 3, "fp": 2, "precision": 0.80, "recall": 0.85},
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(FRESH_FLOORS))
def test_the_warning_flag_on_the_fresh_sets_rules_alone_and_with_the_model(capsys, settings, name):
    rows = load(name)
    settings.INBOX_FLAG_MODEL = False
    rules = precision_recall(rows, run_command(rows))
    settings.INBOX_FLAG_MODEL = True
    both = precision_recall(rows, run_command(rows))
    with capsys.disabled():
        for label, (p, r, tp, fp, fn) in (("rules alone", rules), ("rules + model", both)):
            print(
                f"\n{name} ({len(rows)}), {label}: warn precision {p:.2f} recall {r:.2f} "
                f"(tp {tp}, fp {fp}, fn {fn})"
            )
    floor = FRESH_FLOORS[name]
    assert rules[2] >= floor["tp"] and rules[3] <= floor["fp"]
    # The model only ever adds flags.
    assert both[2] >= rules[2] and both[3] >= rules[3]
    assert both[0] >= floor["precision"] and both[1] >= floor["recall"]


def test_the_evaluation_sets_are_not_in_the_training_data():
    trained = {r["text"] for r in flagmodel.training_rows()}
    for name in FRESH_FLOORS:
        rows = load(name)
        assert len({r["text"] for r in rows}) == len(rows)
        # Only a bare acknowledgement ("收到") may appear in both.
        assert all(len(t) <= 2 for t in trained & {r["text"] for r in rows}), name


def test_the_everyday_set_covers_what_the_office_mostly_hears():
    rows = flagmodel.load_labelled(flagmodel.EVERYDAY)
    texts = [r["text"] for r in rows]
    assert len(rows) >= 250 and len(set(texts)) == len(texts)
    assert {r["category"] for r in rows} == CATEGORIES
    for topic in ("党费", "组织关系", "入党", "班车", "食堂"):
        assert sum(topic in t for t in texts) >= 5, topic
    warn = [r for r in rows if r["warn"]]
    assert 0.2 < len(warn) / len(rows) < 0.5
    assert not {r["text"] for r in rows} & {r["text"] for r in load("labelled.jsonl")}


def test_the_model_is_cross_validated_on_its_training_data_only(capsys):
    rows = flagmodel.training_rows()
    model = flagmodel.build(rows)
    held_out = flagmodel.cross_validated(rows)
    flagged = [r["warn"] for r, p in zip(rows, held_out, strict=True) if p >= model.threshold]
    precision = sum(flagged) / len(flagged)
    recall = sum(flagged) / sum(r["warn"] for r in rows)
    with capsys.disabled():
        print(
            f"\nmodel, 5-fold cross-validated on its {len(rows)} training messages: threshold "
            f"{model.threshold:.3f}, precision {precision:.2f} recall {recall:.2f}"
        )
    assert precision >= flagmodel.MIN_PRECISION and recall > 0.8
    assert 0 < model.threshold < 1
    assert model.threshold == flagmodel.get().threshold


def test_the_model_trains_quickly_and_always_the_same_way(capsys):
    start = time.perf_counter()
    first = flagmodel.build()
    took = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nmodel trained (with cross-validation) in {took * 1000:.0f} ms")
    assert took < 1.0
    second = flagmodel.build()
    text = "组长天天找我茬，今天还把我的工具扔到地上"
    assert first.threshold == second.threshold
    assert first.bayes.probability(text) == second.bayes.probability(text)
    assert flagmodel.get() is flagmodel.get()


def test_a_flag_from_the_model_alone_says_so_in_plain_chinese():
    text = "被主管当众扇了一巴掌，就因为我迟到了五分钟"
    assert not classify.classify(text, DEFAULT_RULES, model=False).warn
    result = classify.classify(text, DEFAULT_RULES, model=True)
    assert result.warn and "模型判断" in result.why and "请人工阅读" in result.why
    assert not any(c.isascii() and c.isalpha() for c in result.why)
    # The rules' reasons stay the rules' reasons when they flag.
    ruled = classify.classify("配电房有安全隐患", DEFAULT_RULES, model=True)
    assert ruled.warn and "模型" not in ruled.why and "安全隐患" in ruled.why
    # The category is the rules' alone.
    assert result.category == classify.classify(text, DEFAULT_RULES, model=False).category


@pytest.mark.parametrize("text", ["👍👍", "？", "您好！", "齉龘靐"])
def test_the_model_flags_only_on_words_it_can_name(text):
    model = flagmodel.get()
    assert not model.flags(text) and not classify.classify(text, DEFAULT_RULES, model=True).warn
    # Such a message carries no evidence, so it sits at the prior, which is above the threshold:
    # without the rule that a flag must name its words, each would be flagged.
    assert model.bayes.probability(text) >= model.threshold


def test_an_n_gram_never_seen_in_training_is_no_evidence():
    bayes = flagmodel.get().bayes
    prior = bayes.log_prior[1] - bayes.log_prior[0]
    assert bayes.log_odds("齉龘靐") == prior
    assert bayes.log_odds("食堂齉龘靐") == bayes.log_odds("食堂")


@pytest.mark.django_db
def test_the_setting_switches_the_model_off(settings):
    text = "被主管当众扇了一巴掌，就因为我迟到了五分钟"
    settings.INBOX_FLAG_MODEL = False
    assert run_command([{"id": 1, "text": text}])[0]["warn"] is False
    settings.INBOX_FLAG_MODEL = True
    assert run_command([{"id": 1, "text": text}])[0]["warn"] is True


@pytest.mark.django_db
def test_the_command_keeps_its_contract_exactly():
    rows = [
        {"id": "a", "text": "请问体检在哪里？"},
        {"id": 7, "text": "再不发工资我们就集体罢工"},
        {"id": None, "text": ""},
    ]
    results = run_command(rows)
    assert [list(r) for r in results] == [["id", "category", "warn", "why"]] * 3
    assert [r["id"] for r in results] == ["a", 7, None]
    for r in results:
        assert r["category"] in CATEGORIES and isinstance(r["warn"], bool)
        assert bool(r["why"]) == r["warn"]
    assert results[1]["warn"] and "罢工" in results[1]["why"]


@pytest.mark.django_db
def test_the_command_skips_a_bad_line_says_which_and_fails_at_the_end():
    stdin = io.StringIO('{"id": 1, "text": "你好"}\nnot json\n[1]\n{"id": 2, "text": "谢谢"}\n')
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 行"):
        call_command("classify_messages", stdin=stdin, stdout=out, stderr=err)
    assert [json.loads(x)["id"] for x in out.getvalue().splitlines()] == [1, 2]
    assert "第 2 行" in err.getvalue() and "第 3 行" in err.getvalue()


@pytest.mark.parametrize(
    ("text", "warn"),
    [
        ("没有安全隐患", False),
        ("班组自查，未发现隐患", False),
        ("配电房有安全隐患", True),
        ("说了没有安全隐患，结果今天就出事了", True),
        ("工资按时发了，没有拖欠", False),
        ("工资拖欠三个月了", True),
        ("无缘无故扣了我八百块钱", True),
        ("我不会想不开的，放心", False),
    ],
)
def test_negation_cancels_a_term_only_in_its_own_clause(text, warn):
    assert classify.classify(text, DEFAULT_RULES).warn is warn


@pytest.mark.parametrize(
    ("text", "warn"),
    [
        ("工資拖欠三個月了", True),
        ("車間裡兩個人打起來了", True),
        ("沒有安全隱患", False),
        ("工资拖欠三个月了", True),
    ],
)
def test_traditional_characters_meet_the_same_rules(text, warn):
    assert classify.classify(text, DEFAULT_RULES, model=False).warn is warn


@pytest.mark.parametrize(
    ("text", "warn"),
    [
        ("举报电话是多少？", False),
        ("上访接待日是每月几号？我帮邻居问一下", False),
        ("学习材料里的信访工作条例在哪下载", False),
        ("劳动仲裁时效是多久", False),
        ("我已经打了举报电话", True),
        ("再不解决我就去上访，信访办电话多少", True),
        ("我要申请劳动仲裁", True),
    ],
)
def test_a_warning_term_asked_about_is_not_a_warning(text, warn):
    assert classify.classify(text, DEFAULT_RULES, model=False).warn is warn


@pytest.mark.parametrize(
    ("text", "warn"),
    [
        ("我想问一下住院了工资怎么算，病假扣多少", False),
        ("年终奖扣税怎么算的", False),
        ("工资拖了三个月还没发", True),
        ("这个月工资被扣了五百，也没说为什么", True),
    ],
)
def test_a_wage_rule_stays_in_its_clause_and_a_question_about_pay_is_not_a_dispute(text, warn):
    assert classify.classify(text, DEFAULT_RULES, model=False).warn is warn


def test_every_flag_says_why_in_plain_chinese():
    result = classify.classify("车间里两个人打起来了，还说要去上访", DEFAULT_RULES)
    assert result.warn and "人际冲突" in result.why and "上访" in result.why
    assert not any(c.isascii() and c.isalpha() for c in result.why)


def test_the_tone_alone_never_raises_a_flag():
    # A property of the rules; the model may well flag such a message for reading.
    assert not classify.classify("气死了，受不了，凭什么！！", DEFAULT_RULES, model=False).warn
    assert classify.mood("谢谢，辛苦了") > 0 > classify.mood("真受不了，寒心")


@pytest.mark.parametrize(
    ("pattern", "text", "warn"),
    [
        ("罢工|停摆", "明天全廠罷工", True),  # a simplified pattern, traditional text
        ("罷工|停擺", "明天全廠罷工", True),  # a pattern written in traditional characters
        ("罷工|停擺", "明天全厂罢工", True),
        ("[!！]{3}", "再不处理我就去找领导！！！", True),  # full-width punctuation folds alike
        ("[!！]{3}", "再不处理我就去找领导！", False),
        ("（急）", "(急)车间漏水", True),  # a full-width bracket stays a literal bracket
        ("（急）", "急车间漏水", False),
        (r"漏\D水", "车间漏了水", True),  # ASCII escapes keep their meaning
    ],
)
def test_a_pattern_rule_is_folded_as_the_text_is(pattern, text, warn):
    rules = [classify.RuleSpec("warn", "测试", pattern, 2.0, True, "规则")]
    assert classify.classify(text, rules, model=False).warn is warn


def test_a_broken_pattern_in_the_rules_is_ignored_not_raised():
    rules = [classify.RuleSpec("warn", "测试", "([", 2.0, True, "坏规则")]
    assert classify.classify("([", rules).warn is False


@pytest.mark.django_db
def test_rules_edited_in_the_admin_change_the_outcome():
    text = "我们楼道的饮水机漏水了"
    assert not run_command([{"id": 1, "text": text}])[0]["warn"]
    Rule.objects.create(kind="warn", label="安全隐患", term="漏水", weight=1.5, reason="有漏水")
    result = run_command([{"id": 1, "text": text}])[0]
    assert result["warn"] and "有漏水" in result["why"]
    Rule.objects.filter(term="漏水").update(active=False)
    assert not run_command([{"id": 1, "text": text}])[0]["warn"]


@pytest.mark.django_db
def test_a_flagged_message_raises_priority_and_notifies_the_moderators_only():
    moderator = user_in("留言管理员", "moderator")
    secretary = user_in("支部书记", "secretary")
    wang = member(tree()["first"], "1001")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.receive(wang, channel="web", text="三个月没发工资了，再不发我们就去上访")
    item = Item.objects.get()
    assert item.warn and item.priority == 1 and "上访" in item.warn_why
    assert item.category == "complaint"
    assert Notification.objects.filter(user=moderator, item=item).exists()
    assert not Notification.objects.filter(user=secretary).exists()
    # Nothing is answered automatically or hidden.
    assert not Message.objects.filter(direction="out").exists()
    assert item.transitions.filter(action="flag").exists()


@pytest.mark.django_db
def test_a_flag_is_mailed_to_moderators_with_an_address_when_configured(settings, mailoutbox):
    settings.INBOX_EMAIL_NOTIFY = True
    moderator = user_in("留言管理员", "moderator")
    moderator.email = "mod@example.org"
    moderator.save()
    wang = member(tree()["first"], "1001")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.receive(wang, channel="web", text="车间要罢工了")
    assert [m.to for m in mailoutbox] == [["mod@example.org"]]
    assert "罢工" in mailoutbox[0].body


@pytest.mark.django_db
def test_the_moderator_edits_the_rules_in_the_admin_in_chinese(client):
    user_in("留言管理员", "moderator")
    client.login(username="moderator", password="p4ssw0rd-测试")
    page = client.get("/admin/inbox_rule/?q=隐患")
    assert page.status_code == 200 and "分类规则" in page.content.decode()
    assert "安全隐患" in page.content.decode()


@pytest.mark.django_db
def test_the_rule_form_refuses_an_unknown_category_and_a_broken_pattern(client):
    user_in("留言管理员", "moderator")
    client.login(username="moderator", password="p4ssw0rd-测试")
    base = {"kind": "category", "label": "牢骚", "term": "唉", "weight": "1", "active": "on"}
    response = client.post("/admin/inbox_rule/new/", base)
    assert response.status_code == 200 and "类别规则的信号须是" in response.content.decode()
    broken = {**base, "kind": "warn", "label": "安全隐患", "term": "([", "is_pattern": "on"}
    response = client.post("/admin/inbox_rule/new/", broken)
    assert "正则表达式有误" in response.content.decode()
    client.post("/admin/inbox_rule/new/", {**base, "label": "投诉"})
    assert Rule.objects.filter(label="投诉", term="唉").exists()


@pytest.mark.django_db
def test_the_migration_corrects_a_shipped_rule_and_leaves_an_edited_one_alone():
    from django.apps import apps

    fix = importlib.import_module("weizhi.inbox.migrations.0003_rules_stay_in_one_clause")
    before, after = fix.CHANGED[0]
    # A fresh install already holds the corrected rules.
    assert Rule.objects.filter(term=after).count() == 1
    assert not Rule.objects.filter(term=before).exists()
    assert {r.term for r in Rule.objects.filter(kind="warn")} == {
        r.term for r in DEFAULT_RULES if r.kind == "warn"
    }
    Rule.objects.filter(term=after).update(term=before)
    edited = Rule.objects.create(kind="warn", label="工资待遇纠纷", term=before + "|欠薪", weight=1)
    fix.forward(apps, None)
    assert Rule.objects.filter(term=after).count() == 1
    edited.refresh_from_db()
    assert edited.term == before + "|欠薪"
    fix.backward(apps, None)
    assert Rule.objects.filter(term=before).count() == 1
