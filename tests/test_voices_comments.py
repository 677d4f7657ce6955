"""Comments under articles: private to the writer until approved (精选), likes, the office's
reply, pin and delete with a reason, the writer's own delete, limits and plain text."""

import pytest
from django.urls import reverse

from tests import factories
from tests.test_audience_support import fast_passwords, follower, member, tree, user_in  # noqa: F401
from tests.voices_support import sign_in_follower, sign_in_member
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Action, Item, Source, State
from weizhi.screen import services as screen
from weizhi.screen.models import Category, Lexicon, Term
from weizhi.voices import comments
from weizhi.voices.models import Comment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture(autouse=True)
def _fresh_automaton():
    screen.forget()
    yield
    screen.forget()


@pytest.fixture
def article(home):
    return factories.article(title="学习二十大精神")


@pytest.fixture
def wang():
    return member(tree()["first"], "1001", name="王芳")


def page_url(article):
    return reverse("voices:comments", args=[article.pk])


def post(client, article, text):
    return client.post(page_url(article), {"text": text})


def test_a_stranger_is_sent_to_sign_in_and_nothing_is_stored(client, article):
    response = post(client, article, "写得好")
    assert response.status_code == 302 and "/me/login/" in response.url
    assert not Comment.objects.exists()


def test_a_comment_is_seen_only_by_its_writer_until_approved(client, article, wang):
    sign_in_member(client, wang)
    assert post(client, article, "认真学习，受益匪浅").status_code == 302
    comment = Comment.objects.get()
    assert comment.item.state == State.PENDING and comment.author_name == "王芳"
    mine = client.get(page_url(article)).content.decode()
    assert "认真学习，受益匪浅" in mine and "待精选，仅自己可见" in mine

    other = member(tree_second(), "2001", name="李四")
    stranger_view = client_for(other).get(page_url(article)).content.decode()
    assert "认真学习，受益匪浅" not in stranger_view
    assert "认真学习" not in anonymous().get(page_url(article)).content.decode()

    moderation.approve(comment.item, user_in("留言管理员", "m"))
    for viewer in (anonymous(), client_for(other)):
        page = viewer.get(page_url(article)).content.decode()
        assert "认真学习，受益匪浅" in page and "仅自己可见" not in page
    fragment = anonymous().get(reverse("voices:comment_list", args=[article.pk]))
    assert "认真学习，受益匪浅" in fragment.content.decode()
    assert "X-Page-Cache" not in fragment  # never stored by the page cache


def tree_second():
    from weizhi.audience.models import Branch

    return Branch.objects.get(name="第二党支部")


def client_for(someone):
    from django.test import Client

    client = Client()
    sign_in_member(client, someone)
    return client


def anonymous():
    from django.test import Client

    return Client()


def test_a_follower_comments_under_their_remark(client, article):
    fan = follower("o-fan")
    fan.remark = "老张"
    fan.save()
    sign_in_follower(client, fan)
    post(client, article, "支持")
    comment = Comment.objects.get()
    assert comment.follower == fan and comment.author_name == "老张"


def test_a_rejected_comment_stays_private(client, article, wang):
    sign_in_member(client, wang)
    post(client, article, "跑题的话")
    moderation.reject(Comment.objects.get().item, user_in("编辑", "e"), "与文章无关")
    assert "未精选，仅自己可见" in client.get(page_url(article)).content.decode()
    assert "跑题的话" not in anonymous().get(page_url(article)).content.decode()


def test_text_is_plain_links_are_not_clickable_and_limits_hold(client, article, wang):
    sign_in_member(client, wang)
    post(client, article, '<script>alert(1)</script> 看 https://evil.example/ <a href="x">点</a>')
    comment = Comment.objects.get()
    moderation.approve(comment.item, user_in("编辑", "e"))
    page = anonymous().get(page_url(article)).content.decode()
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert 'href="https://evil.example/' not in page and "https://evil.example/" in page
    response = post(client, article, "长" * 501)
    assert response.status_code == 400 and "最多 500 字" in response.content.decode()
    assert post(client, article, "   ").status_code == 400
    assert Comment.objects.count() == 1


def test_a_flagged_comment_is_marked_not_hidden_from_the_queue(client, article, wang):
    lexicon = Lexicon.objects.create(name="词库")
    Term.objects.create(lexicon=lexicon, text="赌博", category=Category.objects.create(name="违法"))
    sign_in_member(client, wang)
    post(client, article, "有人在群里推赌 博网站")
    item = Item.objects.get()
    assert item.flagged and item.screen_terms == ["赌博"] and item.state == State.PENDING
    assert "推赌 博网站" in client.get(page_url(article)).content.decode()  # the writer sees it


def test_rate_limits_per_writer_and_per_address(client, article, wang):
    sign_in_member(client, wang)
    for i in range(3):
        assert post(client, article, f"第{i}条").status_code == 302
    response = post(client, article, "第四条")
    assert response.status_code == 429 and "太频繁" in response.content.decode()
    assert Comment.objects.count() == 3
    # Another writer from the same address is not held back by wang's limit...
    other = client_for(member(tree_second(), "2001", name="李四"))
    assert post(other, article, "我也说一句").status_code == 302
    # ...but one address cannot post more than 30 a minute, whoever signs in.
    for i in range(30):
        someone = client_for(member(tree_second(), f"3{i:03}", name=f"人{i}"))
        post(someone, article, f"刷屏{i}")
    # 30 attempts from the address in the minute (wang's refused fourth among them), 29 stored.
    assert Comment.objects.count() == 29
    assert (
        post(client_for(member(tree_second(), "4000", name="新人")), article, "再来").status_code
        == 429
    )


def test_likes_count_once_per_reader_and_only_on_approved_comments(client, article, wang):
    sign_in_member(client, wang)
    post(client, article, "好文章")
    comment = Comment.objects.get()
    client.post(reverse("voices:like", args=[comment.pk]))
    assert Comment.objects.get().likes == 0
    moderation.approve(comment.item, user_in("编辑", "e"))
    client.post(reverse("voices:like", args=[comment.pk]))
    client.post(reverse("voices:like", args=[comment.pk]))
    client_for(member(tree_second(), "2001", name="李四")).post(
        reverse("voices:like", args=[comment.pk])
    )
    assert Comment.objects.get().likes == 2
    assert "赞 <b>2</b>" in anonymous().get(page_url(article)).content.decode()


def test_the_writer_deletes_their_own_and_no_one_elses(client, article, wang):
    sign_in_member(client, wang)
    post(client, article, "我的留言")
    comment = Comment.objects.get()
    other = client_for(member(tree_second(), "2001", name="李四"))
    assert other.post(reverse("voices:delete", args=[comment.pk])).status_code == 404
    client.post(reverse("voices:delete", args=[comment.pk]))
    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.deleted_reason == "作者自行删除"
    assert "我的留言" not in client.get(page_url(article)).content.decode()
    assert comment.item.events.filter(action=Action.DELETED, member=wang).exists()


def test_the_office_replies_pins_and_deletes_with_a_reason(client, article, wang):
    sign_in_member(client, wang)
    post(client, article, "第一条")
    post(client, article, "第二条")
    first, second = Comment.objects.order_by("pk")
    moderator = user_in("留言管理员", "m")
    for c in (first, second):
        moderation.approve(c.item, moderator)
    admin = anonymous()
    admin.force_login(moderator)
    url = reverse("voices_comment", args=[first.pk])
    admin.post(url, {"action": "reply", "reply": "感谢支持！"})
    admin.post(url, {"action": "pin"})
    page = anonymous().get(page_url(article)).content.decode()
    assert "作者回复" in page and "感谢支持！" in page
    assert page.index("第一条") < page.index("第二条") and "置顶" in page
    response = admin.post(
        reverse("voices_comment", args=[second.pk]), {"action": "delete"}, follow=True
    )
    assert "删除留言时请填写理由" in response.content.decode()
    admin.post(reverse("voices_comment", args=[second.pk]), {"action": "delete", "reason": "重复"})
    assert "第二条" not in anonymous().get(page_url(article)).content.decode()
    event = second.item.events.get(action=Action.DELETED)
    assert event.user == moderator and event.reason == "重复"
    queue_page = admin.get(reverse("moderation_item", args=[first.item.pk])).content.decode()
    assert url in queue_page


def test_only_moderators_reach_the_comment_page_in_the_admin(client, article, wang):
    sign_in_member(client, wang)
    post(client, article, "留言")
    url = reverse("voices_comment", args=[Comment.objects.get().pk])
    for group in ("初审", "支部书记"):
        staff = anonymous()
        staff.force_login(user_in(group, f"u-{group}"))
        assert staff.get(url).status_code in (302, 403)
        staff.post(url, {"action": "pin"})
    assert not Comment.objects.get().pinned


def test_a_wechat_comment_joins_the_same_queue_marked_with_its_source(article):
    fan = follower("o-wx")
    comment = comments.post_comment(
        article,
        comments.Writer(follower=fan),
        "微信里的留言",
        source=Source.WECHAT,
        external_id="1",
    )
    assert comment.item.source == Source.WECHAT and comment.external_id == "1"


def test_the_article_page_carries_the_comment_slot(client, article):
    page = client.get(article.url).content.decode()
    assert reverse("voices:comment_list", args=[article.pk]) in page
    assert reverse("voices:comments", args=[article.pk]) in page


def test_unpublished_articles_take_no_comments(client, home, wang):
    draft = factories.article(title="草稿", publish=False)
    sign_in_member(client, wang)
    assert post(client, draft, "抢先").status_code == 404


def test_the_comment_page_does_not_grow_in_queries_with_its_comments(
    client, article, wang, django_assert_max_num_queries
):
    moderator = user_in("留言管理员", "m")
    for i in range(20):
        writer = comments.Writer(member=member(tree_second(), f"5{i:03}", name=f"人{i}"))
        moderation.approve(comments.post_comment(article, writer, f"留言{i}").item, moderator)
    sign_in_member(client, wang)
    with django_assert_max_num_queries(12):
        page = client.get(page_url(article)).content.decode()
    assert "留言19" in page
