"""Page addresses are short and readable: pinyin for a Chinese title, the date when there is
nothing to spell, a number for a twin; a published page keeps the address it has."""

from wagtail.models import Page

from tests import factories
from weizhi.content.slugs import readable_slug


def test_a_chinese_title_is_spelled_in_pinyin_and_kept_short():
    assert readable_slug("汛期安全检查通知") == "xun-qi-an-quan-jian-cha-tong-zhi"
    long = readable_slug("学习贯彻党的二十届三中全会精神 深入推进全面从严治党向纵深发展")
    assert len(long) <= 40 and not long.endswith("-")
    assert readable_slug("2026年度 ABC 总结") == "2026-nian-du-abc-zong-jie"


def test_a_title_with_nothing_to_spell_gets_the_date(home):
    assert readable_slug("！！").isdigit()


def test_pages_made_in_code_get_pinyin_and_twins_a_number(home):
    first = factories.article(title="防汛值守一线")
    twin = factories.article(title="防汛值守一线")
    assert first.slug == "fang-xun-zhi-shou-yi-xian"
    assert twin.slug == "fang-xun-zhi-shou-yi-xian-2"
    assert first.url.endswith("/fang-xun-zhi-shou-yi-xian/")


def test_a_published_page_keeps_its_address(home):
    page = factories.article(title="旧稿件")
    Page.objects.filter(pk=page.pk).update(slug="旧稿件")
    page.refresh_from_db()
    page.full_clean()
    assert page.slug == "旧稿件"
