import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

from tests import factories
from weizhi.content.models import StoryPage


def found(query: str, **kwargs) -> list[str]:
    return [page.title for page in StoryPage.objects.published().search(query, **kwargs)]


def reader_titles(client, query: str, page: int = 1) -> list[str]:
    response = client.get("/search/", {"q": query, "page": page})
    assert response.status_code == 200
    results = response.context["results"]
    return [story.title for story in results] if results is not None else []


@pytest.fixture
def flood(home):
    return factories.article(title="汛期一线纪实", body="全体党员投入抗洪抢险,连续奋战三昼夜。")


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def admin_titles(admin_client, query: str) -> list[str]:
    response = admin_client.get("/admin/pages/search/", {"q": query})
    assert response.status_code == 200
    return [page.title for page in response.context["object_list"]]


def test_the_backend_in_use_is_the_segmenting_one(db):
    assert type(get_search_backend()).__module__.startswith("weizhi.search.")


def test_the_reader_search_finds_a_bigram_inside_a_longer_word(client, flood):
    assert reader_titles(client, "抗洪") == ["汛期一线纪实"]


def test_the_reader_search_shows_the_found_story_on_the_page(client, flood):
    response = client.get("/search/", {"q": "抗洪"})
    assert "汛期一线纪实" in response.content.decode()
    assert "共找到 1 条" in response.content.decode()


def test_the_orm_search_finds_a_bigram_inside_a_longer_word(flood):
    assert found("抢险") == ["汛期一线纪实"]


def test_it_finds_a_bigram_inside_a_longer_title(home):
    factories.article(title="抗洪抢险英雄谱", body="正文")
    assert found("抢险") == ["抗洪抢险英雄谱"]


def test_it_does_not_match_a_word_that_shares_only_one_character(flood):
    assert found("洪水") == []


def test_it_requires_every_bigram_of_the_query(home):
    factories.article(title="两件事", body="抗洪是一件事,抢险是另一件事。")
    assert found("抗洪") == ["两件事"]
    assert found("抗洪抢险") == []


def test_a_one_character_query_finds_the_character_anywhere_in_a_word(flood):
    assert found("抗") == ["汛期一线纪实"]
    assert found("洪") == ["汛期一线纪实"]
    assert found("险") == ["汛期一线纪实"]


def test_a_one_character_query_does_not_find_stories_without_it(flood):
    assert found("雪") == []


def test_it_finds_mixed_digits_and_chinese(home):
    factories.article(title="2026年抗洪工作总结", body="正文")
    factories.article(title="2025年抗旱工作总结", body="正文")
    assert found("2026年 抗洪") == ["2026年抗洪工作总结"]


def test_it_finds_mixed_latin_and_chinese_in_one_word(home):
    factories.article(title="一季度GDP增长5%", body="正文")
    factories.article(title="一季度GDP下降", body="正文")
    assert found("GDP增长") == ["一季度GDP增长5%"]


def test_it_matches_latin_words_whatever_their_case(home):
    factories.article(title="学习 Wagtail 建站", body="正文")
    assert found("WAGTAIL") == ["学习 Wagtail 建站"]


def test_it_matches_full_width_queries_against_half_width_text(home):
    factories.article(title="GDP增长2026", body="正文")
    assert found("ＧＤＰ增长２０２６") == ["GDP增长2026"]


def test_it_matches_half_width_queries_against_full_width_text(home):
    factories.article(title="ＧＤＰ增长", body="正文")
    assert found("gdp") == ["ＧＤＰ增长"]


def test_the_or_operator_finds_stories_with_any_of_the_words(flood):
    factories.article(title="防汛知识", body="防汛备汛要早做准备。")
    assert sorted(found("抗洪 防汛", operator="or")) == ["汛期一线纪实", "防汛知识"]
    assert found("抗洪 防汛") == []


@pytest.mark.parametrize("query", ["", "   ", "\u3000"])
def test_the_reader_search_with_a_blank_query_lists_nothing(client, flood, query):
    assert reader_titles(client, query) == []


@pytest.mark.parametrize("query", ["   ", "!!!", "“”,。", '"', "*", "()"])
def test_the_orm_search_with_nothing_searchable_finds_nothing(flood, query):
    assert found(query) == []


@pytest.mark.parametrize(
    "query",
    [
        '"抗洪',
        "抗洪*",
        "-抗洪",
        "(抗洪)",
        "抗洪'",
        "抗洪\\",
        "抗洪:",
        "{抗洪}",
        "^抗洪",
        "抗洪&|!",
    ],
)
def test_fts_syntax_in_a_query_is_read_as_plain_text(client, flood, query):
    assert reader_titles(client, query) == ["汛期一线纪实"]


@pytest.mark.parametrize("query", ["OR", "NEAR", "AND NOT", "抗洪 OR", "NOT 抗洪", "* - ( )"])
def test_fts_operators_alone_find_nothing_and_raise_nothing(client, flood, query):
    assert reader_titles(client, query) == []


def test_fts_keywords_are_searched_as_ordinary_words(client, home):
    factories.article(title="Rock OR Roll", body="正文")
    assert reader_titles(client, "or") == ["Rock OR Roll"]
    assert reader_titles(client, "rock AND") == []


def test_title_matches_rank_above_body_only_matches(home):
    long_story = "他在大堤上守了三十个昼夜,带领群众转移,清点物资,排查隐患。" * 10
    factories.article(title="记一位坚守在抗洪一线的普通党员", body=long_story)
    factories.article(title="工作简报", body=",".join(["抗洪"] * 15))
    assert found("抗洪") == ["记一位坚守在抗洪一线的普通党员", "工作简报"]


def test_the_reader_search_pages_through_many_results(client, home):
    for number in range(12):
        factories.article(title=f"抗洪简报第{number}期", body="正文")
    first = reader_titles(client, "抗洪")
    second = reader_titles(client, "抗洪", page=2)
    assert len(first) == 10
    assert len(second) == 2
    assert set(first) | set(second) == {f"抗洪简报第{number}期" for number in range(12)}
    response = client.get("/search/", {"q": "抗洪"})
    assert "共找到 12 条" in response.content.decode()


def test_a_republished_story_is_found_by_its_new_text_only(flood):
    flood.body = factories.paragraph("防汛备汛工作部署")
    flood.save_revision().publish()
    assert found("备汛") == ["汛期一线纪实"]
    assert found("抢险") == []


def test_a_draft_is_not_indexed_for_the_reader(home):
    factories.article(title="草稿", body="抗洪抢险", publish=False)
    assert found("抗洪") == []


def test_update_index_rebuilds_the_segmented_index(flood):
    IndexEntry.objects.all().delete()
    assert found("抗洪") == []
    call_command("update_index", stdout=io.StringIO())
    assert found("抗洪") == ["汛期一线纪实"]


def test_the_admin_page_search_finds_a_word_inside_the_body(admin_client, flood):
    assert admin_titles(admin_client, "抗洪") == ["汛期一线纪实"]


def test_the_admin_page_search_finds_a_word_inside_the_title(admin_client, flood):
    assert admin_titles(admin_client, "纪实") == ["汛期一线纪实"]


def test_the_admin_page_search_does_not_match_a_different_word(admin_client, flood):
    assert admin_titles(admin_client, "洪水") == []


def test_the_admin_page_search_completes_the_last_latin_word(admin_client, home):
    factories.article(title="学习 Wagtail 建站", body="正文")
    assert admin_titles(admin_client, "wagt") == ["学习 Wagtail 建站"]


@pytest.mark.parametrize("query", ['"抗洪抢险"', '"抗洪" 党员', '抗洪 "!!"', "抗洪 live:true"])
def test_the_admin_page_search_reads_phrases_and_filters(admin_client, flood, query):
    assert admin_titles(admin_client, query) == ["汛期一线纪实"]


def test_the_admin_page_search_ranks_title_matches_first(admin_client, home):
    long_story = "他在大堤上守了三十个昼夜,带领群众转移,清点物资,排查隐患。" * 10
    factories.article(title="记一位坚守在抗洪一线的普通党员", body=long_story)
    factories.article(title="工作简报", body=",".join(["抗洪"] * 15))
    assert admin_titles(admin_client, "抗洪") == ["记一位坚守在抗洪一线的普通党员", "工作简报"]


def test_pages_of_other_types_are_searchable_too(home):
    column = factories.column()
    column.description = "报道抗洪抢险一线"
    column.save_revision().publish()
    assert column.title in [page.title for page in Page.objects.live().search("抢险")]
