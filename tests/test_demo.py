import io
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.images.models import Image, Rendition
from wagtail.models import Page, Revision

from weizhi.content.demo import COLLECTION_NAME, load_demo, text_version
from weizhi.content.demo_text import STORIES, TOPIC
from weizhi.content.models import (
    ArticlePage,
    ColumnPage,
    InfographicPage,
    RepostPage,
    StoryPage,
    TopicPage,
    VideoPage,
)
from weizhi.content.site_setup import COLUMNS

OUTLET_DOMAINS = {"人民日报": "people.com.cn", "人民网": "people.com.cn", "新华网": "news.cn"}
KINDS = {
    "yitu": {InfographicPage},
    "shipin": {VideoPage},
    "toutiao": {ArticlePage, RepostPage},
    "dangjian": {ArticlePage, RepostPage},
}


# Every test here counts as a database test, so that pytest-django keeps them together and
# the module's open transaction below ends before any other module's test runs.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for this module inside a transaction rolled back at its end.

    Loading takes seconds; each test still runs in a savepoint of its own, as with `db`.
    """
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        yield load_demo()
        transaction.set_rollback(True)


@pytest.fixture
def demo(loaded, db):
    return loaded


def live_stories(slug: str) -> list[StoryPage]:
    column = ColumnPage.objects.get(slug=slug)
    return list(StoryPage.objects.published().in_column(column).newest_first().specific())


def counts() -> tuple[int, int, int]:
    return Page.objects.count(), Image.objects.count(), Revision.objects.count()


def reading_text(story) -> str:
    parts = [strip_tags(text_version(story.sheets))] if story.sheets else []
    for item in story.body:
        if item[0] in ("paragraph", "quote"):
            parts.append(strip_tags(item[1]))
        elif item[0] == "callout":
            parts.append(strip_tags(item[2]))
    return "".join(parts)


def test_every_column_gets_at_least_three_live_stories_of_its_kind(demo):
    assert demo.live == len(STORIES) >= 30
    for _title, slug, _description in COLUMNS:
        stories = live_stories(slug)
        assert len(stories) >= 3, slug
        kinds = {type(story) for story in stories}
        assert kinds <= KINDS.get(slug, {ArticlePage}), slug
    assert {type(s) for s in live_stories("toutiao")} == {ArticlePage, RepostPage}
    assert {type(s) for s in live_stories("dangjian")} == {ArticlePage, RepostPage}


def test_the_videos_cover_every_series_with_a_poster_and_an_address(demo):
    videos = live_stories("shipin")
    assert {video.series for video in videos} >= {"lesson", "policy", "expert"}
    for video in videos:
        assert video.poster_id and video.duration_seconds > 0
        # A path to the clip drawn for it, which plays on whatever port the demo runs on.
        assert video.source == f"/static/weizhi/demo/{video.slug}.mp4"


def test_the_infographics_have_tall_images_and_a_text_version(demo):
    for infographic in live_stories("yitu"):
        images = [block.value["image"] for block in infographic.images]
        assert 1 <= len(images) <= 2
        assert all(image.height > 1.5 * image.width for image in images)
        assert "<h3>" in infographic.text_version


def test_reposts_carry_their_source(demo):
    reposts = [s for s in StoryPage.objects.published().specific() if isinstance(s, RepostPage)]
    assert len(reposts) >= 4
    for repost in reposts:
        address = urlparse(repost.source_url)
        assert address.scheme == "https"
        assert address.hostname.endswith(OUTLET_DOMAINS[repost.source_name])
        assert repost.source_date == timezone.localtime(repost.display_date).date()


def test_two_stories_are_pinned_for_a_month(demo):
    pinned = StoryPage.objects.published().pinned()
    assert pinned.count() == 2
    for story in pinned:
        assert timedelta(days=29) < story.pinned_until - timezone.now() <= timedelta(days=30)


def test_the_dates_spread_over_the_last_two_months(demo):
    now = timezone.now()
    dates = list(StoryPage.objects.values_list("display_date", flat=True))
    assert all(now - timedelta(days=60) < date < now for date in dates)
    assert max(dates) - min(dates) > timedelta(days=45)


def test_some_stories_are_tagged_and_one_is_about_flood_fighting(demo):
    tagged = StoryPage.objects.filter(tags__name__in=["两学一做", "党章", "安全生产"]).distinct()
    assert tagged.count() >= 10
    assert any("抗洪抢险" in str(article.body) for article in ArticlePage.objects.live())


def test_the_pictures_are_small_and_in_the_demo_collection(demo):
    images = Image.objects.filter(collection__name=COLLECTION_NAME)
    assert images.count() == demo.images > 30
    for image in images:
        assert image.width <= 1200 and image.file_size < 200_000
        assert image.file_hash


def test_loading_again_adds_nothing(demo):
    before = counts()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert counts() == before
    assert out.getvalue().startswith("演示内容已就绪")
    assert "新建页面 0 个、图片 0 张" in out.getvalue()


def test_it_completes_a_partial_load(demo):
    full = counts()
    infographic = InfographicPage.objects.get(slug="dangfei-jiaona-biaozhun")
    titles = [infographic.cover.title, *(b.value["image"].title for b in infographic.images)]
    infographic.delete()
    Image.objects.filter(title__in=titles).delete()
    ArticlePage.objects.get(slug="kanghong-qishier-xiaoshi").delete()

    again = load_demo()

    assert again.images == len(titles)
    assert again.pages == 2
    assert Page.objects.count() == full[0]
    assert Image.objects.count() == full[1]


def test_the_home_and_column_pages_show_the_demo_titles(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for story in STORIES:
        if story.pinned:
            assert story.title in html
    for _title, slug, _description in COLUMNS:
        response = client.get(f"/{slug}/")
        assert response.status_code == 200
        html = response.content.decode()
        for story in STORIES:
            if story.column == slug:
                assert story.title in html


def test_an_article_renders_its_blocks_with_image_renditions(client, demo):
    article = ArticlePage.objects.get(slug="kanghong-qishier-xiaoshi")
    response = client.get(article.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert article.title in html
    assert 'class="quote"' in html and 'class="gallery"' in html and "callout-warning" in html
    assert html.count("/media/images/") >= 5
    assert Rendition.objects.filter(image__title="巡堤查险").exists()


def test_an_infographic_and_a_repost_render(client, demo):
    infographic = InfographicPage.objects.get(slug="dangfei-jiaona-biaozhun")
    response = client.get(infographic.url)
    assert response.status_code == 200
    assert "离退休党员" in response.content.decode()
    repost = RepostPage.objects.live().first()
    response = client.get(repost.url)
    assert response.status_code == 200
    assert repost.source_url in response.content.decode()


def test_the_topic_lists_the_latest_of_its_column(client, demo):
    topic = TopicPage.objects.get(slug=TOPIC.slug)
    assert topic.live and topic.banner_id
    assert [block.block_type for block in topic.body].count("stories") == 2
    response = client.get(topic.url)
    assert response.status_code == 200
    html = response.content.decode()
    for story in live_stories(TOPIC.latest_of):
        assert story.title in html


def test_every_story_reads_in_a_minute_or_two():
    for story in STORIES:
        assert 200 <= len(reading_text(story)) <= 600, story.slug
