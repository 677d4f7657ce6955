"""The starting rules, corrected: the wage and hazard co-occurrence patterns stay inside one
clause (one used '.', which crossed commas: "工资怎么算，病假扣多少" read as a wage dispute),
and a question about how pay is computed ("年终奖扣税怎么算的") is not a dispute.

Only rows still exactly as shipped are changed; a rule the 留言管理员 edited is theirs."""

from django.db import migrations

CHANGED = [
    (
        "(奖金|工资|绩效|补贴|加班费|公积金|社保|工钱)(?:(?!没有|没|已经|按时|不是).){0,10}(扣|没看到|没给|一分|拖|不给|没交|不见)",
        "(奖金|工资|绩效|补贴|加班费|公积金|社保|工钱)(?:(?!没有|没|已经|按时|不是)[^,.!?;。]){0,10}(扣|没看到|没给|一分|拖|不给|没交|不见)",
    ),
    (
        "(护栏|栏杆|踏板|平台|吊钩|钢丝绳|电线|电缆|插座|电箱|燃气|煤气|管道|罐|脚手架|电炉|灶|井盖|楼梯|防火门|消防栓|行车|叉车|刹车|阀门)[^,.!?;]{0,12}(锈穿|锈断|断了|裂|漏|松动|冒烟|着火|烤|没人监护|一股味|变形|掉了|塌)",
        "(护栏|栏杆|踏板|平台|吊钩|钢丝绳|电线|电缆|插座|电箱|燃气|煤气|管道|罐|脚手架|电炉|灶|井盖|楼梯|防火门|消防栓|行车|叉车|刹车|阀门)[^,.!?;。]{0,12}(锈穿|锈断|断了|裂|漏|松动|冒烟|着火|烤|没人监护|一股味|变形|掉了|塌)",
    ),
    (
        "(工资|奖金|年终奖|过节费|补助|补贴|加班费|路费|绩效|公积金|社保|工钱)[^,.!?;]{0,12}(拖|欠|扣|没有发|没发|不给|推一次|影子|骗|一分没有)",
        "(工资|奖金|年终奖|过节费|补助|补贴|加班费|路费|绩效|公积金|社保|工钱)[^,.!?;。]{0,12}(拖|欠|扣|没有发|没发|不给|推一次|影子|骗|一分没有)",
    ),
    (
        "(拖|欠|扣|克扣)[^,.!?;]{0,8}(工资|奖金|补助|补贴|加班费|路费|工钱)",
        "(拖|欠|扣|克扣)[^,.!?;。]{0,8}(工资|奖金|补助|补贴|加班费|路费|工钱)",
    ),
    (
        "扣了什么|扣的.{0,6}是什么|是什么项目|工资条|扣款明细|写清楚",
        "扣了什么|扣的.{0,6}是什么|是什么项目|工资条|扣款明细|写清楚|怎么算|按什么算|扣多少|扣税",
    ),
]


def swap(apps, pairs):
    Rule = apps.get_model("inbox", "Rule")
    for before, after in pairs:
        Rule.objects.filter(kind="warn", is_pattern=True, term=before).update(term=after)


def forward(apps, schema_editor):
    swap(apps, CHANGED)


def backward(apps, schema_editor):
    swap(apps, [(after, before) for before, after in CHANGED])


class Migration(migrations.Migration):
    dependencies = [("inbox", "0002_roles_and_rules")]

    operations = [migrations.RunPython(forward, backward)]
