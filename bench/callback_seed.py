"""The callback benchmark's database side: seed reply rules, and count what was stored.

    python bench/callback_seed.py seed              # the rules the load is written against
    python bench/callback_seed.py verify PREFIX     # JSON counts of one load phase's rows

Run by bench/callback.py with the server's environment (WEIZHI_VAR_DIR or DATABASE_URL),
after migrate. The rules here and the messages in callback_load.py name the same keywords;
REPLIES says which reply text each kind of message must get.
"""

import json
import os
import sys

WELCOME = "欢迎关注！回复“你好”试试。"
HELLO = "你好，这里是微智。"
DUES = "党费可在“我的”页面查看并缴纳。"
STUDY = "学习资料每周一更新。"
DEFAULT = "收到，我们会尽快回复您。"
CONTACT = "办公室电话：010-12345678"
ABOUT = "微智：党委办公室的公众号平台。"

# (trigger, match, keywords, priority, reply text)
RULES = [
    ("subscribe", "exact", "", 0, WELCOME),
    ("keyword", "exact", "你好\nhello", 10, HELLO),
    ("keyword", "contains", "党费", 5, DUES),
    ("keyword", "regex", r"^学习\s*(.*)$", 1, STUDY),
    ("default", "exact", "", 0, DEFAULT),
    ("click", "exact", "MENU_CONTACT", 0, CONTACT),
    ("click", "exact", "MENU_ABOUT", 0, ABOUT),
]


def setup() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhi.settings")
    import django

    django.setup()


def seed() -> None:
    from weizhi.wechat.models import ReplyRule

    ReplyRule.objects.all().delete()
    for n, (trigger, match, keywords, priority, text) in enumerate(RULES):
        rule = ReplyRule(
            name=f"bench {n} {trigger}",
            trigger=trigger,
            match=match,
            keywords=keywords,
            priority=priority,
            reply_type="text",
            text=text,
        )
        rule.full_clean()
        rule.save()
    print(json.dumps({"rules": ReplyRule.objects.count()}))


def verify(prefix: str) -> None:
    """Counts of the rows a load phase left, grouped so the plan can be held against them."""
    from django.db.models import Count, Max, Sum

    from weizhi.audience.models import Follower
    from weizhi.wechat.models import InboundMessage

    rows = InboundMessage.objects.filter(openid__startswith=prefix)
    totals = rows.aggregate(
        rows=Count("id"),
        keys=Count("dedup_key", distinct=True),
        retries=Sum("duplicates"),
        most_retries=Max("duplicates"),
    )
    groups = (
        rows.values("msg_type", "event", "event_key", "content", "status", "reply__content")
        .annotate(n=Count("id"))
        .order_by()
    )
    retried = dict(rows.filter(duplicates__gt=0).values_list("dedup_key", "duplicates"))
    followers = Follower.objects.filter(openid__startswith=prefix)
    print(
        json.dumps(
            {
                **{k: v or 0 for k, v in totals.items()},
                "groups": list(groups),
                "retried": retried,
                "followers": followers.count(),
                "followers_subscribed": followers.filter(subscribed=True).count(),
            },
            ensure_ascii=False,
        )
    )


def main() -> None:
    setup()
    if sys.argv[1] == "seed":
        seed()
    else:
        verify(sys.argv[2])


if __name__ == "__main__":
    main()
