"""The lexicon kept in the admin, the screen service over it, and the screen_text command."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.base import superuser, user_in
from weizhi.screen import services
from weizhi.screen.models import AllowedPhrase, Category, Lexicon, Term

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_automaton():
    services.forget()
    yield
    services.forget()


@pytest.fixture
def lexicon():
    return Lexicon.objects.create(name="公开词库")


def upload(client, lexicon, data: bytes, category="违法"):
    return client.post(
        reverse("screen_import"),
        {"lexicon": lexicon.pk, "category": category, "file": SimpleUploadedFile("t.txt", data)},
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_moderator_imports_a_one_term_per_line_file(client, lexicon, encoding):
    client.force_login(user_in("留言管理员"))
    data = "赌博网站\n法轮功\t邪教\n\n赌博网站\n".encode(encoding)
    response = upload(client, lexicon, data)
    assert response.status_code == 302
    assert dict(Term.objects.values_list("text", "category__name")) == {
        "赌博网站": "违法",
        "法轮功": "邪教",
    }
    assert services.screen("有人传法 輪 功").terms == ("法轮功",)
    page = client.get(response.url).content.decode()
    assert "已导入 2 个词，1 个已在词库中。" in page


def test_a_file_in_no_known_encoding_is_refused_with_a_message(client, lexicon):
    client.force_login(superuser())
    response = upload(client, lexicon, b"\xff\xfe\x00\xd8" * 10)
    assert response.status_code == 200
    assert "无法识别文件编码" in response.content.decode()
    assert not Term.objects.exists()


def test_an_editor_or_a_stranger_cannot_import(client, lexicon):
    client.force_login(user_in("编辑"))
    assert upload(client, lexicon, "赌博".encode()).url == reverse("wagtailadmin_home")
    client.logout()
    assert upload(client, lexicon, "赌博".encode()).url.startswith(reverse("wagtailadmin_login"))
    assert not Term.objects.exists()


def test_an_editors_change_is_seen_by_the_next_screen(lexicon):
    category = Category.objects.create(name="违法")
    assert not services.screen("网上赌博").flagged
    Term.objects.create(lexicon=lexicon, text="赌博", category=category)
    assert services.screen("网上赌博").terms == ("赌博",)
    AllowedPhrase.objects.create(text="网上赌博")
    assert not services.screen("网上赌博").flagged


def test_a_category_not_screened_and_an_inactive_lexicon_flag_nothing(lexicon):
    politics = Category.objects.create(name="政治人物", screened=False)
    crime = Category.objects.create(name="违法")
    Term.objects.create(lexicon=lexicon, text="某某人", category=politics)
    Term.objects.create(lexicon=lexicon, text="赌博", category=crime)
    assert services.screen("某某人说赌博").terms == ("赌博",)
    lexicon.active = False
    lexicon.save()
    assert not services.screen("某某人说赌博").flagged


def test_the_try_page_shows_the_terms_found(client, lexicon):
    Term.objects.create(lexicon=lexicon, text="赌博", category=Category.objects.create(name="违法"))
    client.force_login(user_in("留言管理员"))
    page = client.post(reverse("screen_try"), {"text": "网上赌-博"}).content.decode()
    assert "命中：赌博（类别：违法）" in page


def run_command(lines: str, *args) -> list[dict]:
    out = io.StringIO()
    call_command("screen_text", *args, stdin=io.StringIO(lines), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_command_prints_one_json_object_per_line_of_input(tmp_path):
    path = tmp_path / "lexicon.txt"
    path.write_bytes("习近平\t政治人物\n中央\n赌博网站\t违法\n".encode("gbk"))
    results = run_command(
        "学习习近平总书记讲话\n\n别上赌 博 網 站\n党中央\n", "--lexicon", str(path)
    )
    assert results == [
        {"flagged": False, "terms": [], "categories": []},
        {"flagged": False, "terms": [], "categories": []},
        {"flagged": True, "terms": ["赌博网站"], "categories": ["违法"]},
        {"flagged": False, "terms": [], "categories": []},
    ]
    assert list(results[0]) == ["flagged", "terms", "categories"]


def test_the_command_without_a_file_screens_with_the_lexicon_in_the_database(lexicon):
    Term.objects.create(lexicon=lexicon, text="赌博", category=Category.objects.create(name="违法"))
    assert run_command("赌博\n你好\n") == [
        {"flagged": True, "terms": ["赌博"], "categories": ["违法"]},
        {"flagged": False, "terms": [], "categories": []},
    ]


def test_the_command_names_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="无法读取词库文件"):
        run_command("x\n", "--lexicon", str(tmp_path / "none.txt"))
