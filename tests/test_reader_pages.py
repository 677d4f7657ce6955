"""Every kind of reader page renders, in Chinese, without errors."""

from datetime import timedelta
from pathlib import Path

from django.core.cache import cache
from django.utils import timezone

from tests import factories
from weizhi.content.models import InfographicPage, TopicPage, VideoPage


def test_a_video_page_plays_its_file_with_a_poster(client, home):
    poster = factories.image("海报")
    page = factories.column("shipin").add_child(
        instance=VideoPage(
            title="党课第一讲",
            video_url="https://intranet.example/v/1.mp4",
            poster=poster,
            duration_seconds=754,
            series="lesson",
        )
    )
    page.save_revision().publish()
    response = client.get(page.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'src="https://intranet.example/v/1.mp4"' in html
    assert 'poster="/media/images/' in html
    assert "党课教学 · 时长 12:34" in html


def test_an_infographic_shows_its_images_and_text_version(client, home):
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
    assert "三项重点任务" in html
    assert "srcset=" in html and 'loading="lazy"' in html


def test_only_pinned_stories_carry_the_pinned_badge(client, home):
    factories.article(title="置顶稿件", pinned_until=timezone.now() + timedelta(days=1))
    factories.article(title="普通稿件")
    factories.article(title="过期置顶", pinned_until=timezone.now() - timedelta(days=1))
    html = client.get("/").content.decode()
    assert html.count('class="badge">置顶') == 1
    headline = html.split('aria-label="头条"')[1].split("</section>")[0]
    assert "置顶稿件" in headline and "普通稿件" not in headline


def test_a_topic_page_lists_the_latest_of_a_column(client, home):
    column = factories.column("yixian")
    factories.article(column, title="一线报道甲")
    topic = home.add_child(
        instance=TopicPage(
            title="安全生产月",
            intro="专题导语",
            body=[
                {
                    "type": "stories",
                    "value": {"title": "一线动态", "pages": [], "column": column.pk, "count": 5},
                }
            ],
        )
    )
    topic.save_revision().publish()
    html = client.get(topic.url).content.decode()
    assert "一线动态" in html and "一线报道甲" in html


def test_column_lists_are_paginated(client, home):
    column = factories.column("weiyan")
    for n in range(12):
        factories.article(column, title=f"短评第{n:02d}篇")
    first = client.get(column.url).content.decode()
    second = client.get(column.url + "?page=2").content.decode()
    assert first.count('<article class="card') == 10
    assert second.count('<article class="card') == 2
    assert "第 2 / 2 页" in second
    assert client.get(column.url + "?page=abc").status_code == 200


def test_an_overlong_search_gets_a_chinese_message_not_an_error(client, home):
    response = client.get("/search/", {"q": "长" * 51})
    assert response.status_code == 200
    assert "搜索词太长了" in response.content.decode()


def test_an_unknown_address_gets_the_chinese_404_page(client, home):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_the_article_page_stays_within_its_size_budget(client, home):
    from django.contrib.staticfiles import finders

    page = factories.article(body="正文段落。" * 200)
    html = client.get(page.url).content
    assert len(html) <= 60 * 1024
    assets = sum(
        Path(finders.find(f"weizhi/{name}")).stat().st_size for name in ("reader.css", "reader.js")
    )
    assert assets <= 60 * 1024


def test_article_pages_query_the_database_a_bounded_number_of_times(
    client, home, django_assert_max_num_queries
):
    column = factories.column()
    for n in range(8):
        factories.article(column, title=f"稿件{n}", cover=factories.image(f"图{n}"))
    for url in (column.url, "/"):
        client.get(url)  # renders the thumbnails once
        cache.clear()
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200


def test_a_hidden_column_leaves_the_tabs_but_keeps_its_address(client, home):
    column = factories.column("zuimei")
    assert f'href="{column.url}"' in client.get("/").content.decode()
    column.show_in_menus = False
    column.save_revision().publish()
    assert f'href="{column.url}"' not in client.get("/").content.decode()
    assert client.get(column.url).status_code == 200


def test_columns_follow_the_order_editors_give_them(client, home):
    first, last = factories.column("toutiao"), factories.column("shipin")
    first.move(last, pos="right")
    html = client.get("/").content.decode()
    assert html.index(f'href="{last.url}"') < html.index(f'href="{first.url}"')
