"""Builders for the audience tests (no tests here): a small tree, members, users in roles."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from weizhi.audience.models import Branch, BranchKind, Follower, Member, PoliticalStatus
from weizhi.audience.services import enroll_member

PASSWORD = "p4ssw0rd-测试"


def tree() -> dict[str, Branch]:
    """机关党委 → 综合党总支 → 第一/第二党支部, and 生产党总支 → 第三党支部."""
    top = Branch.objects.create(name="机关党委", kind=BranchKind.COMMITTEE)
    general = Branch.objects.create(name="综合党总支", kind=BranchKind.GENERAL_BRANCH, parent=top)
    production = Branch.objects.create(
        name="生产党总支", kind=BranchKind.GENERAL_BRANCH, parent=top, sort_order=2
    )
    first = Branch.objects.create(name="第一党支部", kind=BranchKind.BRANCH, parent=general)
    second = Branch.objects.create(
        name="第二党支部", kind=BranchKind.BRANCH, parent=general, sort_order=1
    )
    third = Branch.objects.create(name="第三党支部", kind=BranchKind.BRANCH, parent=production)
    return {
        "top": top,
        "general": general,
        "production": production,
        "first": first,
        "second": second,
        "third": third,
    }


def member(branch: Branch, number: str, name: str = "张三", **fields) -> Member:
    fields.setdefault("phone", "13812345678")
    fields.setdefault("status", PoliticalStatus.FULL)
    m = Member.objects.create(branch=branch, employee_number=number, name=name, **fields)
    enroll_member(m)
    return m


def follower(openid: str = "o-test-1") -> Follower:
    return Follower.objects.create(openid=openid)


def user_in(group_name: str, username: str):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def secretary_of(branch: Branch, username: str = "secretary") -> tuple:
    """A 支部书记 admin user, linked to a roster entry that is secretary of ``branch``."""
    user = user_in("支部书记", username)
    person = member(branch, f"S-{username}", name="李书记", user=user)
    branch.secretaries.add(person)
    return user, person


HEADING = ["姓名", "工号", "手机号", "部门", "所属组织", "政治面貌", "角色标签", "入党日期"]


def xlsx(rows: list[list], heading: list[str] | None = None, name: str = "名册.xlsx"):
    """An uploaded .xlsx with one heading row and ``rows`` below it."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.append(heading or HEADING)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def good_row(number: str, name: str = "赵六", branch: str = "第一党支部") -> list:
    return [name, number, "13800001111", "综合办公室", branch, "正式党员", "", "2018-07-01"]


@pytest.fixture(autouse=False)
def fast_passwords(settings):
    # Users are made and logged in in almost every test; the real hasher costs a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
