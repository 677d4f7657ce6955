"""The bank in the admin: the import screens (preview, then all-or-nothing), the template and
export, the question form, and who may do what."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.base import user_in
from tests.quiz_support import one_minute
from tests.test_audience_support import member, secretary_of, tree
from weizhi.quiz import bank, services
from weizhi.quiz.models import Attempt, Question

pytestmark = pytest.mark.django_db


def upload(rows, name="题库.xlsx"):
    wb = Workbook()
    wb.active.append(bank.HEADINGS)
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def good(stem="预备党员的预备期为一年。", answer="对"):
    return ["判断题", stem, *[""] * 8, answer, "党章第七条", 1, "易", "党章"]


@pytest.fixture
def editor(client):
    user = user_in("编辑", "editor")
    client.force_login(user)
    return user


def test_an_editor_previews_then_confirms_an_import(client, editor):
    response = client.post(reverse("quiz_import"), {"file": upload([good(), good("新题", "×")])})
    body = response.content.decode()
    assert "可导入 <strong>2</strong> 题" in body and "确认导入 2 题" in body
    assert not Question.objects.exists()
    response = client.post(reverse("quiz_import_confirm"))
    assert response.status_code == 302
    assert sorted(Question.objects.values_list("answer", flat=True)) == ["对", "错"]
    # The stored upload was used once: confirming again finds nothing.
    client.post(reverse("quiz_import_confirm"))
    assert Question.objects.count() == 2


def test_a_file_with_a_bad_row_shows_row_and_column_and_offers_no_confirm(client, editor):
    bad = ["判断题", "坏题", *[""] * 8, "也许"]
    body = client.post(reverse("quiz_import"), {"file": upload([good(), bad])}).content.decode()
    assert "第 3 行" in body and "判断题答案无效" in body and "答案" in body
    assert "确认导入" not in body
    client.post(reverse("quiz_import_confirm"))
    assert not Question.objects.exists()


def test_a_refused_file_gets_a_chinese_message(client, editor):
    file = SimpleUploadedFile("题库.xlsx", b"not a zip")
    body = client.post(reverse("quiz_import"), {"file": file}).content.decode()
    assert "无法读取文件" in body
    body = client.post(reverse("quiz_import"), {"file": SimpleUploadedFile("a.doc", b"x")})
    assert "请上传 .xlsx 或 .csv 文件" in body.content.decode()


def test_template_and_export_download(client, editor):
    Question.objects.create(kind="judge", stem="是吗", answer="对")
    template = client.get(reverse("quiz_import_template"))
    assert load_workbook(io.BytesIO(template.content)).active["A1"].value == "题型"
    export = client.get(reverse("quiz_export"))
    assert load_workbook(io.BytesIO(export.content)).active["B2"].value == "是吗"


def test_the_question_form_normalises_the_answer_and_refuses_a_bad_one(client, editor):
    url = reverse("quiz_question:add")
    data = {
        "kind": "multiple",
        "stem": "哪些是党的纪律？",
        "answer": "a、c",
        "difficulty": 1,
        "score": 2,
        "partial": "half",
        "enabled": "on",
        "option_A": "政治纪律",
        "option_B": "穿衣纪律",
        "option_C": "组织纪律",
    }
    assert client.post(url, data).status_code == 302
    q = Question.objects.get()
    assert q.answer == "AC" and q.options == ["政治纪律", "穿衣纪律", "组织纪律"]
    body = client.post(url, {**data, "stem": "另一题", "answer": "D"}).content.decode()
    assert "答案不在选项中" in body and Question.objects.count() == 1


def test_a_secretary_may_not_import_or_edit_the_bank(client):
    user, _ = secretary_of(tree()["first"])
    client.force_login(user)
    # Wagtail answers a refused admin page with a redirect to the dashboard.
    for url in ("quiz_import", "quiz_export", "quiz_import_template", "quiz_question:index"):
        response = client.get(reverse(url))
        assert response.status_code in (302, 403) and "题型" not in response.content.decode()
    client.post(reverse("quiz_import"), {"file": upload([good()])})
    client.post(reverse("quiz_import_confirm"))
    assert not Question.objects.exists()


def test_the_attempt_inspect_page_is_in_chinese_without_the_raw_draw(client):
    branches = tree()
    for i in range(3):
        Question.objects.create(kind="judge", stem=f"判断{i}", answer="对")
    wang = member(branches["first"], "1001", name="王芳")
    attempt = services.start(one_minute(question_count=3), wang)
    assert Attempt._meta.get_field("drawn").verbose_name == "抽到的题目"
    user, _person = secretary_of(branches["first"])
    client.force_login(user)
    page = client.get(reverse("quiz_attempt:inspect", args=[attempt.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "王芳" in body and "满分" in body
    assert "Drawn" not in body and "抽到的题目" not in body and "&#x27;q&#x27;" not in body
