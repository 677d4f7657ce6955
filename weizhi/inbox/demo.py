"""A demo inbox: messages from the demo roster in every state of the work order, a few of
them early warnings, loaded idempotently (each demo message carries a fixed external id)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from weizhi.audience.demo import DEMO_MEMBER, load_demo_audience
from weizhi.audience.models import Branch, Member

from . import channels, processing, services
from .models import Department, Item, Message, Snippet

DEPARTMENTS = ["后勤服务中心", "人力资源部", "安全环保部", "财务部", "工会"]
SNIPPETS = [
    ("已收到", "您好，留言已收到，我们正在了解情况，会尽快答复您。"),
    ("已转办", "您反映的问题已转有关部门办理，办理结果会在“我的留言”里告诉您。"),
    ("政策咨询", "您咨询的政策可在“我的”页面的制度汇编中查看，如有疑问可电话联系党委办。"),
    ("感谢建议", "感谢您的建议，我们会认真研究，能改进的尽快改进。"),
]
# (message, hours ago, what happens next: new / dispatch / reply / resolve / rate:<value>,
#  department or branch name, reply)
MESSAGES = [
    ("请问今年职工体检什么时候开始？需要提前预约吗？", 2, "new", "", ""),
    (
        "建议食堂晚上增加一个面食窗口，夜班的同志下班只能吃泡面。",
        30,
        "reply",
        "后勤服务中心",
        "已和食堂商量，下月起晚上增开面食窗口。",
    ),
    ("宿舍三楼的热水器坏了三天了，报修电话一直没人接。", 60, "dispatch", "后勤服务中心", ""),
    (
        "孩子上幼儿园的补贴怎么申请，要准备哪些材料？",
        100,
        "rate:satisfied",
        "人力资源部",
        "请准备户口本复印件和入园缴费凭证，交到人力资源部薪酬组。",
    ),
    (
        "三号皮带机的护栏断了好几天了，人从旁边过很危险，报了没人管。",
        5,
        "dispatch",
        "安全环保部",
        "",
    ),
    ("工资拖了两个月了还没发，家里房贷都还不上了，再不发我们就去劳动局。", 3, "new", "", ""),
    ("最近压力太大了，晚上睡不着，感觉撑不下去了。", 8, "new", "", ""),
    (
        "给检修班的小赵点赞，半夜抢修到天亮，辛苦了！",
        50,
        "rate:satisfied",
        "工会",
        "谢谢您的表扬，已转告检修班，工会将在月度表彰中予以表扬。",
    ),
    (
        "报销流程太繁琐了，一张票跑了五趟。",
        120,
        "rate:unsatisfied",
        "财务部",
        "财务部已开通线上预审，请先在系统里提交。",
    ),
    ("我们班组这次自查，没有安全隐患，请领导放心。", 20, "resolve", "", "收到，感谢班组认真自查。"),
    ("今天下午两个班组为了抢设备吵起来了，差点动手。", 12, "dispatch", "运行一党支部", ""),
    ("夜班补助每月跟工资一起发吗？", 80, "reply", "", "是的，夜班补助随当月工资一并发放。"),
    ("建议更衣室装个空调，夏天实在太热了。", 40, "dispatch", "后勤服务中心", ""),
    (
        "班车能不能晚上多开一趟？十点下班没有车。",
        150,
        "rate:basic",
        "后勤服务中心",
        "已协调车队，晚十点十五分增开一趟，从二号门发车。",
    ),
]


def _staff(username: str, name: str, group: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": name})
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=group))
    return user


@transaction.atomic
def load_demo_inbox() -> int:
    """Returns the number of demo messages added this time."""
    load_demo_audience()
    for name in DEPARTMENTS:
        Department.objects.get_or_create(name=name)
    for order, (title, text) in enumerate(SNIPPETS):
        Snippet.objects.get_or_create(title=title, defaults={"text": text, "sort_order": order})
    office = _staff("demo_office", "党委办（演示）", "留言管理员")
    people = list(
        Member.objects.filter(active=True)
        .exclude(employee_number=DEMO_MEMBER["employee_number"])
        .order_by("employee_number")[:40]
    )
    demo_member = Member.objects.filter(employee_number=DEMO_MEMBER["employee_number"]).first()
    if demo_member is not None:
        people.insert(1, demo_member)
    now = timezone.now()
    added = 0
    for n, (text, hours, plan, handler, answer) in enumerate(MESSAGES):
        external_id = f"demo-{n + 1}"
        if Message.objects.filter(channel=channels.WEB, external_id=external_id).exists():
            continue
        at = now - timedelta(hours=hours)
        message = services.receive(
            people[n % len(people)],
            channel=channels.WEB,
            text=text,
            received_at=at,
            external_id=external_id,
        )
        processing.apply_classification(message.pk)
        _play(message.item, plan, handler, answer, office, at)
        added += 1
    processing.escalate_overdue()
    return added


def _play(item: Item, plan: str, handler: str, answer: str, office, at) -> None:
    if handler:
        department = Department.objects.filter(name=handler).first()
        branch = None if department else Branch.objects.filter(name=handler).first()
        services.assign(item, by=office, department=department, branch=branch)
    if plan in ("new", "dispatch"):
        return
    reply = services.reply(item, by=office, text=answer)
    processing.deliver(reply.pk)
    # The demo's history happened in the past: the reply came a few hours after the message.
    replied_at = at + timedelta(hours=3)
    Message.objects.filter(pk=reply.pk).update(at=replied_at)
    Item.objects.filter(pk=item.pk).update(first_reply_at=replied_at)
    if plan == "reply":
        return
    item = services.resolve(item, by=office)
    if plan.startswith("rate:"):
        services.rate(item, plan.split(":", 1)[1])
