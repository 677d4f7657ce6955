"""The voices demo: moderated comments on several articles, a small lexicon with an allow-list,
two submissions in review; loading it again adds nothing."""

import io

import pytest
from django.core.management import call_command

from tests import factories
from tests.test_audience_support import member, tree
from weizhi.content.models import ArticlePage
from weizhi.moderation.models import Item, Kind, State
from weizhi.screen import services as screen
from weizhi.screen.models import AllowedPhrase, Term
from weizhi.voices.models import Comment, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_automaton():
    screen.forget()
    yield
    screen.forget()


def test_the_demo_has_moderated_comments_a_lexicon_and_submissions_in_review(home):
    for n in range(3):
        factories.article(title=f"文章{n}")
    branch = tree()["first"]
    for n in range(4):
        member(branch, f"D{n:04}", name=f"党员{n}")
    out = io.StringIO()
    call_command("load_demo_voices", stdout=out)
    assert "新增留言" in out.getvalue()

    assert Term.objects.count() >= 4 and AllowedPhrase.objects.exists()
    assert not screen.screen("学习习近平总书记重要讲话，坚决维护党中央权威").flagged
    assert screen.screen("代 开 發 票").terms == ("代开发票",)

    pages = set(Comment.objects.values_list("page_id", flat=True))
    assert len(pages) == 3
    assert Comment.objects.public().count() >= 8
    assert Comment.objects.filter(pinned=True).exists() and Comment.objects.exclude(reply="")
    comments = Item.objects.filter(kind=Kind.COMMENT)
    assert comments.filter(state=State.PENDING, flagged=True).exists()
    assert comments.filter(state=State.REJECTED).exists()

    in_review = [
        s
        for s in Submission.objects.all()
        if s.article_id and s.article.specific.current_workflow_task_state
    ]
    assert len(in_review) == 2
    assert all(not ArticlePage.objects.get(pk=s.article_id).live for s in in_review)

    counts = (Comment.objects.count(), Submission.objects.count(), Term.objects.count())
    call_command("load_demo_voices", stdout=io.StringIO())
    assert (Comment.objects.count(), Submission.objects.count(), Term.objects.count()) == counts
