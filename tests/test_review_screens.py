"""The review screens: each reviewer's decision is the main button, 批准并发布 reads as one
word, a page under review has no 发布 that skips the workflow, and the steps go on."""

from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from tests import factories
from tests.base import superuser, user_in
from tests.test_review_workflow import act, submit


def footer(user, page) -> str:
    client = Client()
    client.force_login(user)
    html = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    start = html.index("<footer")
    return html[start : html.index("</footer>", start)]


def main_button(html: str) -> str:
    """The label of the footer's first (main) button."""
    first = html[html.index("<button") :]
    return first[first.index("</svg>") + 6 : first.index("</button>")].strip()


def reviewers():
    return tuple(user_in(g) for g in ("编辑", "初审", "复审", "终审"))


def test_the_second_reviewer_sees_approve_first_and_reject_in_the_menu(home):
    editor, first, second, _final = reviewers()
    page = factories.article(title="待复审的稿件", publish=False)
    submit(page, editor)
    act(page, first, "approve")
    html = footer(second, page)
    assert main_button(html) == "批准"
    assert html.index("退回修改") < html.index("保存草稿")
    assert 'name="action-publish"' not in html


def test_the_final_reviewer_approves_and_publishes_in_one_word_and_has_no_bare_publish(home):
    editor, first, second, final = reviewers()
    page = factories.article(title="待终审的稿件", publish=False)
    submit(page, editor)
    act(page, first, "approve")
    act(page, second, "approve")
    html = footer(final, page)
    assert main_button(html) == "批准并发布"
    assert "批准 和发布" not in html and " 和发布" not in html
    assert 'name="action-publish"' not in html


def test_an_editor_submits_rather_than_publishes(home):
    editor = user_in("编辑")
    page = factories.article(title="草稿", publish=False)
    page.save_revision(user=editor)
    html = footer(editor, page)
    assert 'name="action-publish"' not in html
    assert 'name="action-submit"' in html


def test_a_superuser_keeps_publish_for_emergencies(home):
    page = factories.article(title="紧急通知", publish=False)
    assert 'name="action-publish"' in footer(superuser(), page)


def test_a_form_with_errors_says_so_in_chinese():
    with translation.override("zh-hans"):
        assert gettext("The page could not be saved due to validation errors.") == (
            "有内容未填写正确，页面未能保存。"
        )
        assert gettext("Go to the first error") == "转到第一处错误"
        assert gettext("Request changes") == "退回修改"
