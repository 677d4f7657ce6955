"""The reader's finishing touches: tag pages, the folded text version of an infographic, marked
search words, 专题 and more pages on the home page; in the admin, columns listed in the tabs'
order and a 推荐 tab without what an editor never needs."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse

from tests import factories
from weizhi.content.models import InfographicPage, TopicPage
from weizhi.search.highlight import excerpt, highlight


def tagged(title: str, *tags: str, **fields):
    page = factories.article(title=title, **fields)
    page.tags.add(*tags)
    page.save_revision().publish()
    return page


def test_a_story_links_each_of_its_tags_to_the_tag_page(client, home):
    page = tagged("防汛工作部署", "防汛", "安全生产")
    html = client.get(page.url).content.decode()
    url = reverse("tag", args=["防汛"])
    assert url == "/tags/%E9%98%B2%E6%B1%9B/"
    assert f'href="{url}">#防汛</a>' in html


def test_the_tag_page_lists_the_published_stories_with_that_tag(client, home):
    tagged("防汛工作部署", "防汛")
    tagged("安全月启动", "安全生产")
    factories.article(title="未发布的防汛稿", publish=False).tags.add("防汛")
    response = client.get(reverse("tag", args=["防汛"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "#</span>防汛" in html and "共 1 篇" in html
    assert "防汛工作部署" in html
    assert "安全月启动" not in html and "未发布的防汛稿" not in html


def test_the_tag_page_is_paginated_and_cached(client, home):
    for n in range(12):
        tagged(f"值班安排第{n:02d}期", "值班")
    url = reverse("tag", args=["值班"])
    first, second = client.get(url), client.get(url + "?page=2")
    assert first.content.decode().count('<article class="card') == 10
    assert second.content.decode().count('<article class="card') == 2
    assert "第 2 / 2 页" in second.content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_an_unknown_tag_gets_the_chinese_404_page(client, home):
    response = client.get("/tags/没有这个/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_a_tag_with_a_slash_has_a_working_page(client, home):
    page = tagged("一线报道", "安全/环保")
    url = reverse("tag", args=["安全/环保"])
    assert f'href="{url}"' in client.get(page.url).content.decode()
    assert "一线报道" in client.get(url).content.decode()


def test_the_infographic_text_version_is_folded_under_a_chinese_summary(client, home):
    picture = factories.image("长图", size=(75, 180))
    page = factories.column("yitu").add_child(
        instance=InfographicPage(
            title="一图读懂安全生产",
            images=[{"type": "image", "value": {"image": picture.pk, "caption": ""}}],
            text_version="<p>三项重点任务</p>",
        )
    )
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    details = re.search(r"<details[^>]*>", html).group(0)
    assert details == '<details class="text-version">'  # no `open`
    assert "<summary>查看文字版</summary>" in html


def test_search_results_mark_the_words_found_in_title_and_summary(client, home):
    factories.article(title="抗洪抢险一线", summary="连夜抗洪，守护家园")
    html = client.get("/search/", {"q": "抗洪"}).content.decode()
    assert "<mark>抗洪</mark>抢险一线" in html
    assert "连夜<mark>抗洪</mark>，守护家园" in html


def test_search_marks_are_added_after_escaping(client, home):
    factories.article(title="<b>抗洪</b> & 抢险")
    html = client.get("/search/", {"q": "抗洪"}).content.decode()
    assert "&lt;b&gt;<mark>抗洪</mark>&lt;/b&gt; &amp; 抢险" in html
    assert "<b>抗洪</b>" not in html


def test_a_story_found_by_its_body_shows_the_marked_passage(client, home):
    factories.article(title="一周要闻", body="本周各单位开展防汛演练，检验应急预案。")
    html = client.get("/search/", {"q": "防汛演练"}).content.decode()
    assert "<mark>防汛演练</mark>" in html


def test_highlight_marks_chinese_words_whole_and_by_their_pairs():
    assert highlight("抗洪抢险", "抗洪抢险") == "<mark>抗洪抢险</mark>"
    assert highlight("抗洪，再抢险", "抗洪抢险") == "<mark>抗洪</mark>，再<mark>抢险</mark>"
    assert highlight("党", "党") == "<mark>党</mark>"


def test_highlight_matches_latin_words_whole_whatever_their_case_or_width():
    assert highlight("GDP增长", "gdp") == "<mark>GDP</mark>增长"
    assert highlight("ＧＤＰ增长", "GDP") == "<mark>ＧＤＰ</mark>增长"
    assert highlight("GDPR", "gdp") == "GDPR"


def test_highlight_escapes_text_and_query_alike():
    assert highlight("a<b>", "<b>") == "a&lt;<mark>b</mark>&gt;"
    assert highlight("<script>", "") == "&lt;script&gt;"


def test_an_excerpt_is_a_window_around_the_first_match():
    text = "前言" * 60 + "防汛演练" + "后记" * 60
    found = excerpt(text, "防汛")
    assert found.startswith("…") and found.endswith("…")
    assert "<mark>防汛</mark>" in found
    assert excerpt(text, "植树") is None


def test_the_home_page_links_its_topics(client, home):
    topic = home.add_child(instance=TopicPage(title="安全生产月", intro="专题导语"))
    topic.save_revision().publish()
    draft = home.add_child(instance=TopicPage(title="未发布专题", live=False))
    html = client.get("/").content.decode()
    assert 'aria-label="专题"' in html
    assert f'href="{topic.url}">安全生产月</a>' in html
    assert draft.title not in html


def test_the_home_page_has_more_pages_of_stories(client, home):
    for n in range(14):
        factories.article(title=f"要闻第{n:02d}篇")
    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    assert first.count('<article class="card') == 12
    assert 'href="?page=2">下一页</a>' in first
    assert second.count('<article class="card') == 2
    assert "第 2 / 2 页" in second


def test_the_explorer_lists_columns_in_the_tab_order(admin_client, home):
    first, last = factories.column("toutiao"), factories.column("shipin")
    first.move(last, pos="right")  # 今日头条 now comes after 微视频
    tabs = re.search(r'<nav class="tabs".*?</nav>', admin_client.get("/").content.decode(), re.S)
    tab_order = re.findall(r">([^<]+)</a>", tabs.group(0))[1:]  # after 推荐
    assert tab_order[-2:] == ["微视频", "今日头条"]
    explorer = admin_client.get(reverse("wagtailadmin_explore", args=[home.pk])).content.decode()
    # Rows carry their label when the listing is in the tree's (draggable) order.
    rows = re.findall(r'data-w-orderable-item-label="([^"]+)"', explorer)
    assert [title for title in rows if title in tab_order] == tab_order


def test_the_promote_tab_of_a_story_keeps_only_what_editors_use(admin_client, home):
    page = factories.article(title="推荐页测试")
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert 'name="slug"' in html and 'name="tags"' in html and 'name="pinned_until"' in html
    for unused in ('name="seo_title"', 'name="search_description"', 'name="show_in_menus"'):
        assert unused not in html


def test_the_home_page_edits_without_a_promote_tab(admin_client, home):
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[home.pk])).content.decode()
    assert 'name="intro"' in html
    assert 'name="slug"' not in html and 'name="seo_title"' not in html


def test_a_story_summary_is_its_page_description(client, home):
    page = factories.article(title="描述测试", summary="一句话摘要")
    assert '<meta name="description" content="一句话摘要">' in client.get(page.url).content.decode()


def test_every_date_on_reader_pages_sits_in_a_time_element_kept_on_one_line(client, home):
    assert "time{white-space:nowrap}" in Path(finders.find("weizhi/reader.css")).read_text()
    page = factories.repost(title="转载稿")
    html = client.get(page.url).content.decode()
    assert '(<time datetime="2026-07-01">2026年7月1日</time>)' in html
    assert re.search(r"(?<!>)\d{4}年\d{1,2}月\d{1,2}日", html) is None  # none outside <time>
