"""Party news: feeds fetched from a local fake site (conditional GET, limits, bad XML,
de-duplication), the items in the 党建资讯 column, and 转载 of an article into a draft."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from wagtail.images.models import Image

from tests import factories
from tests.base import user_in
from tests.fake_feeds import FakeSite, serve
from weizhi.content.models import RepostPage
from weizhi.core import schedule
from weizhi.news.feeds import parse_feed
from weizhi.news.models import Feed, FeedItem
from weizhi.news.services import RepostError, refresh_feed, refresh_feeds, repost

pytestmark = pytest.mark.django_db
RSS = "/news/demo/dangjian.rss.xml"
ATOM = "/news/demo/zhigong.atom.xml"


@pytest.fixture
def site(settings):
    settings.NEWS_ALLOW_PRIVATE_ADDRESSES = True
    settings.NEWS_HTTP_TIMEOUT = 2.0
    fake = FakeSite()
    server = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()


def feed(site: FakeSite, path: str, name: str = "党建网（演示）") -> Feed:
    return Feed.objects.create(name=name, url=site.url + path)


def test_rss_and_atom_are_read_into_entries(site):
    title, entries = parse_feed(site.files[RSS][1], site.url + RSS)
    assert title == "党建网（演示）· 基层党建"
    assert [e.title for e in entries] == [
        "把基层党组织建成坚强战斗堡垒",
        "把党课讲到职工心坎上",
        "以制度建设推动党建工作常态长效",
    ]
    first = entries[0]
    assert first.link == site.url + "/news/demo/pages/jiceng-zuzhili.html"
    assert first.guid == "dangjian-demo-0001"
    assert first.summary == "推动基层党组织全面进步、全面过硬，把组织优势转化为发展优势。"
    assert first.published.isoformat() == "2026-11-28T09:30:00+08:00"
    title, entries = parse_feed(site.files[ATOM][1], site.url + ATOM)
    assert title == "职工之家（演示）"
    assert entries[1].link.endswith("/anquan-shengchan.html")  # a link without rel
    assert entries[1].summary == "各基层党组织设立党员安全监督岗。"
    assert entries[1].published.isoformat() == "2026-11-22T10:00:00+08:00"


def test_a_feed_is_fetched_and_then_asked_only_whether_it_changed(site):
    source = feed(site, RSS)
    assert refresh_feed(source) == 3
    source.refresh_from_db()
    assert source.etag.startswith('"') and source.last_modified
    assert source.last_result == "成功：读到 3 条，新增 3 条" and source.failures == 0

    assert refresh_feed(source) == 0
    second = site.hits(RSS)[1]
    assert second["if-none-match"] == source.etag
    assert second["if-modified-since"] == source.last_modified
    source.refresh_from_db()
    assert source.last_result == "没有更新"
    assert FeedItem.objects.count() == 3


def test_a_changed_feed_adds_only_its_new_items(site):
    source = feed(site, RSS)
    refresh_feed(source)
    kind, body = site.files[RSS]
    extra = (
        b"<item><title>\xe6\x96\xb0\xe6\x9d\xa1\xe7\x9b\xae</title>"
        b"<link>" + site.url.encode() + b"/news/demo/pages/new.html</link></item></channel>"
    )
    site.put(RSS, body.replace(b"</channel>", extra), kind)
    source.refresh_from_db()
    assert refresh_feed(source) == 1
    assert FeedItem.objects.count() == 4
    assert FeedItem.objects.filter(title="新条目", published_at=None).exists()


def test_the_same_article_in_two_feeds_is_listed_once(site):
    feed(site, RSS)
    feed(site, ATOM, "职工之家（演示）")
    assert refresh_feeds() == 5
    assert FeedItem.objects.filter(link__endswith="jiceng-zuzhili.html").count() == 1
    assert refresh_feeds() == 0


def test_a_feed_with_bad_xml_is_read_as_far_as_it_goes(site):
    source = feed(site, "/data/broken.rss.xml", "不规范的来源")
    assert refresh_feed(source) == 2
    titles = dict(FeedItem.objects.values_list("title", "published_at"))
    assert set(titles) == {"党史学习教育 & 主题党日活动安排", "日期写法不规范的条目"}
    assert titles["日期写法不规范的条目"] is None
    item = FeedItem.objects.get(title__startswith="党史")
    assert item.summary.startswith("标题里有未转义的 & 符号，")


def test_an_rss_1_feed_is_read(site):
    assert refresh_feed(feed(site, "/data/rss1.xml")) == 1
    item = FeedItem.objects.get()
    assert item.title == "RSS 1.0 格式的条目"
    assert item.published_at.isoformat() == "2026-11-26T01:00:00+00:00"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/data/entities.xml", "失败：订阅内容含有不安全的 XML 声明"),
        ("/data/notafeed.html", "失败：订阅内容不是有效的 RSS 或 Atom"),
        ("/data/missing.xml", "失败：对方网站返回错误（404）"),
    ],
)
def test_a_feed_that_fails_says_why_and_does_not_stop_the_others(site, path, reason):
    bad = feed(site, path, "坏来源")
    good = feed(site, RSS)
    assert refresh_feeds() == 3
    bad.refresh_from_db()
    assert bad.last_result == reason and bad.failures == 1
    good.refresh_from_db()
    assert good.failures == 0
    refresh_feeds()
    bad.refresh_from_db()
    assert bad.failures == 2


def test_a_feed_over_the_size_limit_is_refused(site, settings):
    settings.NEWS_FEED_MAX_BYTES = 1000
    source = feed(site, RSS)
    assert refresh_feed(source) == 0
    source.refresh_from_db()
    assert source.last_result == "失败：内容太大，超过上限"


def test_a_slow_feed_is_given_up_on(site, settings):
    settings.NEWS_HTTP_TIMEOUT = 0.5
    site.slow[RSS] = 2.0
    source = feed(site, RSS)
    assert refresh_feed(source) == 0
    source.refresh_from_db()
    assert source.last_result == "失败：对方网站响应太慢"


def test_redirects_are_followed_a_few_times_only(site):
    site.redirects["/moved.xml"] = RSS
    assert refresh_feed(feed(site, "/moved.xml")) == 3
    for i in range(5):
        site.redirects[f"/loop{i}"] = f"/loop{i + 1}"
    looping = feed(site, "/loop0", "循环")
    refresh_feed(looping)
    looping.refresh_from_db()
    assert looping.last_result == "失败：网址跳转次数过多"


def test_addresses_on_this_machine_are_refused_unless_allowed(site, settings):
    settings.NEWS_ALLOW_PRIVATE_ADDRESSES = False
    source = feed(site, RSS)
    refresh_feed(source)
    source.refresh_from_db()
    assert source.last_result == "失败：不能读取内部网络的地址"
    assert site.requests == []


def test_the_fetch_job_is_registered_with_the_schedule(settings):
    settings.NEWS_FETCH_SECONDS = 600
    jobs = {job.task.module_path: job.every for job in schedule.default_jobs()}
    assert jobs["weizhi.news.tasks.fetch_feeds"] == 600


def test_the_news_column_lists_items_with_source_date_and_link(site, home, client):
    feed(site, RSS)
    feed(site, ATOM, "职工之家（演示）")
    column_url = factories.column("dangjian").url
    before = client.get(column_url).content.decode()
    assert "各地党建资讯" not in before
    refresh_feeds()  # purges the page cache
    text = client.get(column_url).content.decode()
    assert "各地党建资讯" in text
    assert "青年突击队冲在检修一线" in text and "职工之家（演示）" in text
    assert "2026年11月28日" in text
    assert f'href="{site.url}/news/demo/pages/qingnian-tujidui.html"' in text
    assert text.index("把基层党组织建成坚强战斗堡垒") < text.index("把党课讲到职工心坎上")
    other = client.get(factories.column("toutiao").url).content.decode()
    assert "各地党建资讯" not in other


def test_a_disabled_feed_is_neither_fetched_nor_listed(site, home, client):
    source = feed(site, RSS)
    refresh_feeds()
    Feed.objects.filter(pk=source.pk).update(active=False)
    assert FeedItem.objects.listed().count() == 0
    refresh_feeds()
    assert len(site.hits(RSS)) == 1


def test_an_item_is_reposted_as_a_draft_with_source_text_and_pictures(site, home):
    feed(site, RSS)
    refresh_feeds()
    editor = user_in("编辑", "editor")
    item = FeedItem.objects.get(title="把基层党组织建成坚强战斗堡垒")
    result = repost(item.link, editor, item)
    page = RepostPage.objects.get(pk=result.page.pk)
    assert result.created and result.images == 2 and result.images_skipped == 0
    assert not page.live and page.has_unpublished_changes
    assert page.get_parent().slug == "dangjian"
    assert page.title == "把基层党组织建成坚强战斗堡垒"
    assert page.source_name == "党建网（演示）"
    assert page.source_url == item.link
    assert page.source_date.isoformat() == "2026-11-28"
    assert page.owner == editor
    assert page.get_latest_revision().user == editor
    kinds = [block.block_type for block in page.body]
    # The dateline above the text ("2026-11-28 09:30 来源：…") is left out.
    assert kinds == ["paragraph"] * 2 + ["image"] + ["paragraph"] * 2 + ["image", "paragraph"]
    assert page.body[0].value.source.startswith("<p>基层党组织是党的全部工作")
    assert "三会一课" in page.body[1].value.source
    assert page.summary == "推动基层党组织全面进步、全面过硬，把组织优势转化为发展优势。"
    images = [block.value["image"] for block in page.body if block.block_type == "image"]
    assert [i.title for i in images] == ["党支部集中学习", "党员先锋岗"]
    assert page.cover == images[0]
    assert images[0].width == 480 and images[0].height == 300
    item.refresh_from_db()
    assert item.repost_id == page.pk
    assert page.get_workflow().name == "三审三校"

    again = repost(item.link, editor, item)
    assert not again.created and again.page.pk == page.pk
    assert RepostPage.objects.count() == 1 and Image.objects.count() == 2


def test_pictures_that_are_not_pictures_or_missing_are_skipped_and_the_text_kept(site, home):
    editor = user_in("编辑", "editor")
    result = repost(site.url + "/data/badimages.html", editor)
    assert result.images == 1 and result.images_skipped == 2
    page = result.page
    texts = [b.value.source for b in page.body if b.block_type == "paragraph"]
    assert len(texts) == 4 and "第四段" in texts[-1]
    assert page.source_name.startswith("127.0.0.1")  # no site name in the page: its host
    assert Image.objects.get().title == "真正的图片"


def test_pictures_over_the_byte_limit_are_not_stored(site, home, settings):
    settings.NEWS_IMAGE_MAX_BYTES = 1000
    result = repost(site.url + "/news/demo/pages/dangke-shengdong.html", user_in("编辑", "e"))
    assert result.images == 0 and result.images_skipped == 1
    assert Image.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/news/demo/images/dangke.png", "这个网址不是网页（image/png），无法转载"),
        ("/data/notafeed.html", "没能从这个网页中找到"),
        ("/data/gone.html", "对方网站返回错误（404）"),
    ],
)
def test_a_page_that_cannot_be_reposted_says_why(site, home, path, reason):
    with pytest.raises(RepostError) as raised:
        repost(site.url + path, user_in("编辑", "editor"))
    assert raised.value.reason.startswith(reason)
    assert RepostPage.objects.count() == 0


def test_an_editor_pastes_an_address_and_lands_on_the_draft(site, home):
    user_in("编辑", "editor")
    client = Client()
    client.login(username="editor", password="p4ssw0rd-测试")
    url = site.url + "/news/demo/pages/zhidu-jianshe.html"
    response = client.post(reverse("news_repost"), {"url": url}, follow=True)
    page = RepostPage.objects.get(source_url=url)
    assert response.redirect_chain[-1][0] == reverse("wagtailadmin_pages:edit", args=[page.pk])
    text = response.content.decode()
    assert "已生成转载草稿《以制度建设推动党建工作常态长效》（图片 0 张）" in text
    response = client.post(reverse("news_repost"), {"url": "不是网址"}, follow=True)
    assert "请输入完整的网址" in response.content.decode()
    response = client.post(reverse("news_repost"), {"url": "ftp://example.org/a"}, follow=True)
    assert (
        "转载失败" in response.content.decode() or "请输入完整的网址" in response.content.decode()
    )


def test_an_editor_sees_the_items_and_reposts_one_with_a_button(site, home):
    feed(site, RSS)
    refresh_feeds()
    user_in("编辑", "editor")
    client = Client()
    client.login(username="editor", password="p4ssw0rd-测试")
    text = client.get(reverse("news_items")).content.decode()
    assert "把党课讲到职工心坎上" in text and "转载任意文章" in text
    item = FeedItem.objects.get(title="把党课讲到职工心坎上")
    response = client.post(reverse("news_repost"), {"item": item.pk}, follow=True)
    assert "已生成转载草稿《把党课讲到职工心坎上》（图片 1 张）" in response.content.decode()
    text = client.get(reverse("news_items")).content.decode()
    assert "已转载，查看" in text


def test_reposting_needs_a_csrf_token(site, home):
    user_in("编辑", "editor")
    client = Client(enforce_csrf_checks=True)
    client.login(username="editor", password="p4ssw0rd-测试")
    url = site.url + "/news/demo/pages/zhidu-jianshe.html"
    assert client.post(reverse("news_repost"), {"url": url}).status_code == 403
    assert RepostPage.objects.count() == 0


@pytest.mark.parametrize("group", ["初审", "支部书记", "留言管理员", None])
def test_other_roles_cannot_see_items_or_repost(site, home, group):
    from django.contrib.auth import get_user_model

    if group:
        user_in(group, "other")
    else:
        get_user_model().objects.create_user("other", password="p4ssw0rd-测试")
    client = Client()
    client.login(username="other", password="p4ssw0rd-测试")
    url = site.url + "/news/demo/pages/zhidu-jianshe.html"
    assert client.get(reverse("news_items")).status_code in (302, 403)
    assert client.post(reverse("news_repost"), {"url": url}).status_code in (302, 403)
    assert client.get(reverse("news_feed:index")).status_code in (302, 403)
    assert RepostPage.objects.count() == 0 and site.requests == []


def test_an_editor_registers_a_feed_in_the_admin(home):
    user_in("编辑", "editor")
    client = Client()
    client.login(username="editor", password="p4ssw0rd-测试")
    form = client.get(reverse("news_feed:add")).content.decode()
    assert "来源名称" in form and "订阅地址" in form
    response = client.post(
        reverse("news_feed:add"),
        {"name": "人民网·党建", "url": "https://example.org/rss.xml", "active": "on"},
    )
    assert response.status_code == 302
    assert Feed.objects.get().name == "人民网·党建"
    listing = client.get(reverse("news_feed:index")).content.decode()
    assert "人民网·党建" in listing and "抓取结果" in listing


def test_the_demo_loads_two_feeds_once_and_serves_them_with_etags(home, client, settings):
    settings.SITE_URL = "http://testserver"
    call_command("load_demo_news", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_demo_news", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Feed.objects.count() == 2 and FeedItem.objects.count() == 5
    response = client.get("/news/demo/dangjian.rss.xml")
    assert response.status_code == 200
    assert b"http://testserver/news/demo/pages/jiceng-zuzhili.html" in response.content
    again = client.get("/news/demo/dangjian.rss.xml", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.get("/news/demo/../settings.py").status_code == 404
    settings.NEWS_DEMO_FEEDS = False
    assert client.get("/news/demo/dangjian.rss.xml").status_code == 404


def count_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from weizhi.content.pagecache import purge

    purge()  # a fresh render, not the page cache's copy
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_column_and_the_admin_list_cost_the_same_queries_for_more_items(site, home):
    feed(site, RSS)
    refresh_feeds()
    user_in("编辑", "editor")
    editor = Client()
    editor.login(username="editor", password="p4ssw0rd-测试")
    reader = Client()
    column_url = factories.column("dangjian").url
    count_queries(reader, column_url)  # the first request warms per-process caches
    before = (count_queries(reader, column_url), count_queries(editor, reverse("news_items")))
    assert before[0] > 0
    feed(site, ATOM, "职工之家（演示）")
    refresh_feeds()
    repost(FeedItem.objects.get(title="把党课讲到职工心坎上").link, editor_user(), None)
    after = (count_queries(reader, column_url), count_queries(editor, reverse("news_items")))
    assert FeedItem.objects.count() == 5
    assert after == before


def editor_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="editor")
