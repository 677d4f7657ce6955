"""The office's side of 动笔走心: the notes list with photos (scoped like the queue), 精选,
a selection of approved notes made into a credited draft article in review, and per-branch
statistics with an .xlsx export — the whole organisation for editors, a 支部书记's subtree
for them, nothing for anyone else."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.notes_support import jpeg
from tests.test_audience_support import fast_passwords, member, secretary_of, tree, user_in  # noqa: F401
from weizhi.content.models import ArticlePage
from weizhi.moderation import services as moderation
from weizhi.notes import services
from weizhi.notes.models import Note

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(home):
    """王芳 (第一党支部): two notes, one approved and 精选; 孙七 (第三党支部): one approved;
    赵六 (第二党支部): one waiting."""
    branches = tree()
    editor = user_in("编辑", "editor")
    wang = member(branches["first"], "1001", name="王芳")
    sun = member(branches["third"], "3001", name="孙七")
    zhao = member(branches["second"], "2001", name="赵六")
    a = services.submit(wang, "王芳第一篇感悟，认真学习党章。", [jpeg(), jpeg()])
    services.submit(wang, "王芳第二篇感悟，还在等审核呢。", [jpeg()])
    b = services.submit(sun, "孙七的感悟，学习党规党纪心得。", [jpeg()])
    services.submit(zhao, "赵六的感悟，等待审核的一篇。", [jpeg()])
    moderation.set_featured(a.item, editor, True)
    moderation.approve(b.item, editor)
    return branches, editor, a, b


def row(body: str, name: str) -> str:
    return body[body.index(name) :].split("</tr>")[0]


def test_an_editor_sees_every_branch(client, world):
    _branches, editor, _a, _b = world
    client.force_login(editor)
    body = client.get(reverse("notes_stats")).content.decode()
    # members, submitted, approved, 精选, writers, share
    assert "<td>1</td><td>2</td><td>1</td><td>1</td><td>1</td><td>100.0%</td>" in row(
        body, "第一党支部"
    )
    assert "<td>1</td><td>1</td><td>1</td><td>0</td><td>1</td><td>100.0%</td>" in row(
        body, "第三党支部"
    )
    assert "<td>1</td><td>1</td><td>0</td><td>0</td><td>1</td><td>100.0%</td>" in row(
        body, "第二党支部"
    )
    export = client.get(reverse("notes_stats"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content))["各支部学习笔记"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=2, values_only=True)}
    first = next(v for k, v in rows.items() if k.endswith("第一党支部"))
    assert first == (1, 2, 1, 1, 1, 100.0)


def test_a_secretary_sees_only_their_subtree(client, world):
    branches, *_ = world
    user, _ = secretary_of(branches["general"])
    client.force_login(user)
    body = client.get(reverse("notes_stats")).content.decode()
    assert "第一党支部" in body and "第二党支部" in body and "第三党支部" not in body
    export = client.get(reverse("notes_stats"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content))["各支部学习笔记"]
    names = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert names and all("第三党支部" not in n for n in names)
    listing = client.get(reverse("notes_admin")).content.decode()
    assert "王芳第一篇" in listing and "孙七的感悟" not in listing
    assert "生成文章草稿" not in listing and "精选</button>" not in listing


@pytest.mark.parametrize("group", ["留言管理员", "初审", None])
def test_others_see_no_statistics(client, world, group):
    if group:
        client.force_login(user_in(group, "someone"))
    response = client.get(reverse("notes_stats"), {"export": "xlsx"})
    assert response.status_code in (302, 403) and b"PK" not in response.content[:2]


def test_a_moderator_sees_every_note_with_its_photos_and_features_one(client, world):
    _branches, _editor, _a, b = world
    client.force_login(user_in("留言管理员", "mod"))
    listing = client.get(reverse("notes_admin")).content.decode()
    assert "孙七的感悟" in listing and "赵六的感悟" in listing
    assert listing.count("/media/notes/") == 10  # 5 photos: link and thumbnail
    assert "生成文章草稿" not in listing  # drafting articles is the editors' work
    client.post(reverse("notes_feature", args=[b.pk]), {"featured": "1"})
    b.item.refresh_from_db()
    assert b.item.featured and b.item.events.filter(action="featured").exists()


def test_strangers_cannot_feature(client, world):
    _branches, _editor, _a, b = world
    response = client.post(reverse("notes_feature", args=[b.pk]), {"featured": "1"})
    assert response.status_code == 302 and "/admin/login/" in response.url
    b.item.refresh_from_db()
    assert not b.item.featured


def test_an_editor_makes_a_credited_draft_from_approved_notes(client, world):
    _branches, editor, a, b = world
    waiting = Note.objects.get(reflection__startswith="赵六")
    client.force_login(editor)
    column = factories.column("yuanchuang")
    response = client.post(
        reverse("notes_article"),
        {
            "note": [a.pk, b.pk, waiting.pk],
            "column": column.pk,
            "title": "动笔走心 · 第一期",
            "introduction": "本期选登两位党员的笔记。",
        },
    )
    assert response.status_code == 302
    assert not ArticlePage.objects.filter(title="动笔走心 · 第一期").exists()  # 赵六's waits
    client.post(
        reverse("notes_article"),
        {"note": [a.pk, b.pk], "column": column.pk, "title": "动笔走心 · 第一期"},
    )
    page = ArticlePage.objects.get(title="动笔走心 · 第一期")
    assert not page.live and page.get_parent().specific == column
    assert page.author == "王芳、孙七"
    kinds = [block.block_type for block in page.body]
    assert kinds.count("image") == 3
    text = str(page.body)
    assert "王芳（第一党支部）" in text and "孙七的感悟" in text
    assert page.current_workflow_state is not None  # in the column's review
    assert set(Note.objects.filter(article=page).values_list("pk", flat=True)) == {a.pk, b.pk}


def test_a_reviewer_cannot_make_a_draft(client, world):
    _branches, _editor, a, _b = world
    client.force_login(user_in("初审", "reviewer"))
    column = factories.column("yuanchuang")
    response = client.post(
        reverse("notes_article"), {"note": [a.pk], "column": column.pk, "title": "不该有"}
    )
    assert response.status_code in (302, 403)
    assert not ArticlePage.objects.filter(title="不该有").exists()
