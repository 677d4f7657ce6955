"""Demo content for comments, the screen and submissions. Idempotent: each part is made only
if it is missing. Runs after load_demo and load_demo_audience (articles and members)."""

from __future__ import annotations

from django.db import transaction

from weizhi.audience.models import Member
from weizhi.content.models import ArticlePage, ColumnPage
from weizhi.moderation import services as moderation
from weizhi.screen.models import AllowedPhrase, Category, Lexicon, Term

from . import comments, submissions
from .models import Comment, Submission

LEXICON = "演示词库"
TERMS = [
    ("赌博网站", "违法"),
    ("代开发票", "广告"),
    ("刷单返利", "诈骗"),
    ("法轮功", "邪教"),
    # Public lexicons list words like these; their category is not screened here, and the
    # default allow-list keeps everyday party-building vocabulary clean anyway.
    ("习近平", "政治人物"),
    ("中央", "政治人物"),
]
ALLOWED = [("反赌博宣传", "宣传活动的名称"), ("打击刷单返利诈骗", "反诈宣传用语")]
# (text, decision, likes, reply, pinned)
COMMENTS = [
    ("学习习近平新时代中国特色社会主义思想，要落实到每天的岗位上。", "feature", 12, "", True),
    ("支部组织的这次学习很实在，大家发言都很踊跃。", "approve", 5, "感谢参与！", False),
    ("希望以后多发一些一线党员的故事。", "approve", 3, "好的，我们会继续征集。", False),
    ("文章写得好，转发给同事了。", "approve", 1, "", False),
    ("有人在群里发刷单返利的链接，大家注意。", "pending", 0, "", False),
    ("跑题的话。", "reject", 0, "", False),
]
SUBMISSIONS = [
    ("yuanchuang", "厂区的春天", "清晨的厂区，玉兰开了。\n我们在岗位上，也在春天里。", True),
    ("weiyan", "学思践悟谈担当", "担当不是口号，是每天把手头的事做好。", True),
    ("weiyan", "我眼中的好支部", "一个好支部，是大家愿意来、来了有收获的地方。", False),
]


def load_demo_voices() -> dict[str, int]:
    with transaction.atomic():
        _lexicon()
        made_comments = _comments()
        made_submissions = _submissions()
    return {"comments": made_comments, "submissions": made_submissions}


def _lexicon() -> None:
    lexicon, _ = Lexicon.objects.get_or_create(name=LEXICON, defaults={"note": "演示用"})
    for name in {category for _, category in TERMS}:
        Category.objects.get_or_create(name=name, defaults={"screened": name != "政治人物"})
    for text, category in TERMS:
        Term.objects.get_or_create(
            lexicon=lexicon, text=text, defaults={"category": Category.objects.get(name=category)}
        )
    for text, note in ALLOWED:
        AllowedPhrase.objects.get_or_create(text=text, defaults={"note": note})


def _members() -> list[Member]:
    return list(Member.objects.active().order_by("employee_number")[:8])


def _comments() -> int:
    if Comment.objects.exists():
        return 0
    articles = list(ArticlePage.objects.live().order_by("-first_published_at")[:3])
    members = _members()
    if not articles or not members:
        return 0
    made = 0
    for a, article in enumerate(articles):
        for n, (text, decision, likes, reply, pinned) in enumerate(COMMENTS[: 6 - a]):
            writer = comments.Writer(member=members[(a + n) % len(members)])
            comment = comments.post_comment(article, writer, text)
            if decision in ("approve", "feature"):
                moderation.approve(comment.item, None)
                if decision == "feature":
                    moderation.set_featured(comment.item, None, True)
            elif decision == "reject":
                moderation.reject(comment.item, None, "与文章无关")
            Comment.objects.filter(pk=comment.pk).update(likes=likes, pinned=pinned, reply=reply)
            made += 1
    return made


def _submissions() -> int:
    if Submission.objects.exists():
        return 0
    members = _members()
    columns = {c.slug: c for c in ColumnPage.objects.filter(slug__in=submissions.COLUMN_SLUGS)}
    made = 0
    for n, (slug, title, text, accepted) in enumerate(SUBMISSIONS):
        if slug not in columns or not members:
            continue
        submission = submissions.submit(members[n % len(members)], columns[slug], title, text, [])
        if accepted:
            moderation.approve(submission.item, None, "已采用，进入三审三校")
        made += 1
    return made
