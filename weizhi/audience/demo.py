"""Demo organisation and roster: a three-level tree and 200 generated members, made the same
way every time (a fixed seed) and loaded idempotently."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from .models import Branch, BranchKind, BranchMembership, Member, PoliticalStatus, RoleTag

SEED = 20261127
MEMBER_COUNT = 200
# 党总支 → its 党支部 and the department their members work in.
TREE: dict[str, list[tuple[str, str]]] = {
    "综合党总支": [
        ("办公室党支部", "党委办公室"),
        ("人力资源党支部", "人力资源部"),
        ("财务党支部", "财务部"),
    ],
    "生产党总支": [
        ("运行一党支部", "运行一值"),
        ("运行二党支部", "运行二值"),
        ("检修党支部", "检修分公司"),
    ],
}
ROLE_TAGS = ["办公系统", "政工干部", "团干部", "工会干部"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌宁浩宇欣悦晨阳佳琪"
STATUS_WEIGHTS = [
    (PoliticalStatus.FULL, 60),
    (PoliticalStatus.PROBATIONARY, 8),
    (PoliticalStatus.ACTIVIST, 10),
    (PoliticalStatus.LEAGUE, 10),
    (PoliticalStatus.MASSES, 12),
]
# One member with known answers, so that a person trying the demo can sign in on /me/.
DEMO_MEMBER = {"employee_number": "D10001", "name": "王红梅", "phone": "13800001234"}


def _branch(name: str, kind: str, parent: Branch | None, order: int) -> Branch:
    branch = Branch.objects.filter(name=name, parent=parent).first()
    if branch is None:
        branch = Branch.objects.create(name=name, kind=kind, parent=parent, sort_order=order)
    return branch


def build_tree() -> list[tuple[Branch, str]]:
    """The committee, its general branches and their branches; returns the leaf branches
    with the department their members work in."""
    top = _branch("机关党委", BranchKind.COMMITTEE, None, 0)
    leaves: list[tuple[Branch, str]] = []
    for order, (general_name, branches) in enumerate(TREE.items()):
        general = _branch(general_name, BranchKind.GENERAL_BRANCH, top, order)
        for i, (name, department) in enumerate(branches):
            leaves.append((_branch(name, BranchKind.BRANCH, general, i), department))
    retired = _branch("离退休党支部", BranchKind.BRANCH, top, 9)
    leaves.append((retired, "离退休工作部"))
    return leaves


def _person(rng: random.Random, n: int) -> dict:
    status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
    party = status in (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)
    joined = date(1985, 1, 1) + timedelta(days=rng.randrange(14000)) if party else None
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return {
        "employee_number": f"D{10001 + n}",
        "name": rng.choice(SURNAMES) + given,
        "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        "status": status,
        "joined_on": joined,
    }


def load_demo_audience() -> int:
    """Create what is missing of the demo tree and roster; returns the members created."""
    with transaction.atomic():
        leaves = build_tree()
        tags = [RoleTag.objects.get_or_create(name=name)[0] for name in ROLE_TAGS]
        existing = set(
            Member.objects.filter(employee_number__startswith="D").values_list(
                "employee_number", flat=True
            )
        )
        rng = random.Random(SEED)  # noqa: S311 — made-up names, the same on every run
        people = [_person(rng, n) for n in range(MEMBER_COUNT)]
        people[0].update(DEMO_MEMBER, status=PoliticalStatus.FULL, joined_on=date(2008, 7, 1))
        new = []
        for n, person in enumerate(people):
            branch, department = leaves[n % len(leaves)]
            if person["employee_number"] not in existing:
                new.append(Member(branch=branch, department=department, **person))
        Member.objects.bulk_create(new)
        new = list(Member.objects.filter(employee_number__in=[m.employee_number for m in new]))
        _memberships_and_tags(new, tags, rng)
        _officers(leaves)
    return len(new)


def _memberships_and_tags(members: list[Member], tags: list[RoleTag], rng: random.Random) -> None:
    now = timezone.now()
    BranchMembership.objects.bulk_create(
        BranchMembership(member=m, branch_id=m.branch_id, started_at=now) for m in members
    )
    Through = Member.role_tags.through
    Through.objects.bulk_create(
        Through(member_id=m.pk, roletag_id=tag.pk)
        for m in members
        for tag in tags
        if rng.random() < 0.12
    )


def _officers(leaves: list[tuple[Branch, str]]) -> None:
    """The first two party members of each branch are its secretary and a committee member."""
    for branch, _ in leaves:
        if branch.secretaries.exists():
            continue
        officers = list(
            branch.members.filter(status=PoliticalStatus.FULL).order_by("employee_number")[:2]
        )
        if officers:
            branch.secretaries.add(officers[0])
            branch.committee_members.add(*officers)
