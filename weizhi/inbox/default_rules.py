"""The classifier's starting rules, loaded into the editable Rule table by a migration.

Pure data (no Django). A warning rule's reason is what the officer reads on the item.
"""

from __future__ import annotations

from .classify import RuleSpec

SAFETY, WAGES, CONFLICT, DISTRESS, ESCALATE, COLLECTIVE = (
    "安全隐患",
    "工资待遇纠纷",
    "人际冲突",
    "情绪困扰",
    "越级投诉上访",
    "集体行动苗头",
)


def _w(label: str, term: str, weight: float, reason: str, pattern: bool = False) -> RuleSpec:
    return RuleSpec("warn", label, term, weight, pattern, reason)


def _c(label: str, term: str, weight: float, pattern: bool = False) -> RuleSpec:
    return RuleSpec("category", label, term, weight, pattern)


WARN_RULES = [
    _w(SAFETY, "安全隐患", 1.0, "反映存在安全隐患"),
    _w(SAFETY, "隐患", 0.5, "提到隐患"),
    _w(
        SAFETY,
        r"(护栏|栏杆|扣件|刹车|井盖|防火门|通风柜).{0,6}(断|坏|松|不灵|丢|锁死)",
        1.2,
        "设备或防护设施损坏",
        True,
    ),
    _w(
        SAFETY,
        r"(煤气|燃气|氨气|酸)味|泄漏|漏气|漏电|冒烟|电线裸露|电线老化",
        1.2,
        "有泄漏、漏电或起火的迹象",
        True,
    ),
    _w(SAFETY, r"只安排一个人巡检|出了事都没人知道", 1.0, "值守人员不足，出事无人知晓", True),
    _w(SAFETY, r"(电焊|动火|明火).{0,10}(油桶|易燃|汽油)", 1.2, "动火作业旁有易燃物", True),
    _w(SAFETY, "违章指挥", 1.2, "反映违章指挥"),
    _w(SAFETY, r"带病运行|冒险|没有防护|没有检测|不给配安全带|不挂牌", 1.2, "反映冒险作业", True),
    _w(SAFETY, r"(消防通道|安全通道).{0,4}(堵|占)", 1.2, "消防通道被堵", True),
    _w(SAFETY, r"灭火器.{0,3}过期", 1.2, "消防器材失效", True),
    _w(
        SAFETY,
        r"(差点|迟早|要)(出事|出大事|出人命|砸到|掉进)|出人命|被砸伤|就出事了|出了事故",
        1.2,
        "担心发生事故",
        True,
    ),
    _w(SAFETY, r"措施.{0,4}不到位|不整改|没人拉警戒线|下面还有人", 1.0, "安全措施不到位", True),
    _w(SAFETY, r"晃得厉害|裂缝", 0.6, "设施存在风险", True),
    _w(WAGES, r"拖欠|欠薪|欠我们的|工钱老拖|拖着不(发|结)", 1.2, "反映拖欠工资或奖金", True),
    _w(
        WAGES,
        r"(两|三|四|五|六|几|好几|[0-9]+)个月.{0,6}(没发|不发|未发|晚发)",
        1.2,
        "工资多月未发",
        True,
    ),
    _w(WAGES, r"工资.{0,6}(拖|不发|晚发)|没钱发工资", 1.0, "工资未按时发放", True),
    _w(WAGES, r"克扣|扣着不发|扣(了)?(我|钱|全勤|绩效)|扣.{0,3}块钱", 1.0, "反映被克扣待遇", True),
    _w(WAGES, r"加班费.{0,6}(没给|不给)|放弃加班费|一分钱没给", 1.2, "加班费未付", True),
    _w(WAGES, r"社保(?:(?!没|未).){0,4}(断缴|没交|不交)", 1.2, "社保断缴", True),
    _w(WAGES, r"(补贴|补助|奖金).{0,6}(取消|砍|不发)|说砍就砍", 1.0, "待遇被取消或削减", True),
    _w(WAGES, r"暗箱|同岗不同酬|不公开", 1.0, "分配不公开、不公平", True),
    _w(WAGES, "不认工伤", 1.2, "工伤认定争议"),
    _w(CONFLICT, r"打起来|动手|打架|推搡|推了一下", 1.2, "有肢体冲突", True),
    _w(CONFLICT, r"骂人|辱骂|骂(废物|得)|被主管骂", 1.0, "有辱骂", True),
    _w(CONFLICT, r"吵起来|闹矛盾|矛盾很深", 1.0, "同事之间有矛盾", True),
    _w(CONFLICT, r"欺负|穿小鞋|排挤|逼走", 1.0, "反映被欺负或排挤", True),
    _w(CONFLICT, r"威胁|打击报复|报复|被调走", 1.2, "反映受到威胁或打击报复", True),
    _w(
        CONFLICT,
        r"谁敢投诉|谁还敢说话|敢怒不敢言|憋着一肚子火|心里都有气|意见很大",
        0.8,
        "群众情绪积压",
        True,
    ),
    _w(
        DISTRESS,
        r"想不开|不想活|活着没什么意思|一走了之|跳下去|轻生",
        2.0,
        "有轻生或极端念头的表述，请尽快当面关心",
        True,
    ),
    _w(
        DISTRESS,
        r"撑不下去|走投无路|绝望|崩溃|抑郁|喘不过气|受不了了|多余的人",
        1.0,
        "情绪低落、压力过大",
        True,
    ),
    _w(DISTRESS, r"睡不着|压力太大|揭不开锅|买不起", 0.5, "生活或心理压力大", True),
    _w(ESCALATE, r"上访|信访办", 1.2, "表示要上访", True),
    _w(
        ESCALATE,
        r"12345|找媒体|曝光|劳动局|劳动仲裁|起诉|律师",
        1.2,
        "表示要向外部反映或走法律途径",
        True,
    ),
    _w(ESCALATE, r"举报", 1.0, "表示要举报", True),
    _w(ESCALATE, r"讨(个)?说法|往上找|越级|去省里|去市里|去集团|告到", 1.0, "表示要越级反映", True),
    _w(ESCALATE, "投诉", 0.6, "表示要投诉"),
    _w(ESCALATE, r"必须(有人)?负责|给个交代", 0.6, "要求追究责任", True),
    _w(
        ESCALATE,
        r"(再不|不)(解决|管|理|给).{0,6}(就|我就|我们就)",
        0.6,
        "表示不解决就采取行动",
        True,
    ),
    _w(COLLECTIVE, r"罢工|停工|集体不上班|拉横幅|静坐", 1.5, "有罢工、停工等集体行动苗头", True),
    _w(COLLECTIVE, r"联名|一起去|大家商量好", 0.8, "有多人联合行动的表述", True),
    _w(COLLECTIVE, r"辞职了|三个人辞职", 0.3, "人员流失", True),
    # Broader vocabulary (added after a first held-out set showed the phrase rules missed
    # most plainly worded problems).
    _w(
        SAFETY,
        r"裂纹|触电|着火|火灾|爆炸|炸了|中毒|窒息|坍塌|塌了|掉下|烤黄|烧焦|焦味",
        0.8,
        "可能发生事故",
        True,
    ),
    _w(
        SAFETY,
        r"电线.{0,6}(水|裸露|老化|破)|泡在水里|报警器.{0,6}(拆|坏)|拆了就没",
        1.0,
        "用电或消防设施有隐患",
        True,
    ),
    _w(
        SAFETY,
        r"(安全帽|安全带|防护服|护具|劳保).{0,6}(破|坏|没有|不给|不发|跟没戴)",
        1.0,
        "个人防护用品缺失或损坏",
        True,
    ),
    _w(SAFETY, r"还在用|照样用|说没事|谁敢|危险", 0.4, "明知有问题仍在使用", True),
    _w(
        WAGES,
        r"(奖金|工资|绩效|补贴|加班费|公积金|社保|工钱)(?:(?!没有|没|已经|按时|不是)[^,.!?;。]){0,10}(扣|没看到|没给|一分|拖|不给|"
        r"没交|不见)",
        1.0,
        "工资、奖金或保险未足额发放",
        True,
    ),
    _w(WAGES, r"扣了.{0,4}(大半|一半|全部)|一分(钱)?(都|也)?没", 0.8, "待遇被大幅扣减", True),
    _w(
        DISTRESS,
        r"一直哭|快疯了|疯了|想死|活着没意思|坚持不下去|还能坚持多久|痛苦",
        1.0,
        "情绪低落、压力过大",
        True,
    ),
    _w(DISTRESS, r"催债|网贷|高利贷", 0.6, "债务压力", True),
    _w(CONFLICT, r"骂(我|人|他|她|得)|指着鼻子|推推搡搡|扭打", 1.0, "有辱骂或冲突", True),
    _w(ESCALATE, r"信访|上访", 1.2, "表示要上访", True),
    _w(ESCALATE, r"打官司|告(他|他们|公司|单位)", 1.2, "表示要走法律途径", True),
    _w(COLLECTIVE, r"一起去|都不来了|集体|大家都很气愤|大伙", 0.8, "有多人联合行动的表述", True),
    # Co-occurrence within one clause: a thing that can hurt someone and a sign that it is
    # broken; money owed and a sign that it is not paid. Broader than the phrases above.
    _w(
        SAFETY,
        r"(护栏|栏杆|踏板|平台|吊钩|钢丝绳|电线|电缆|插座|电箱|燃气|煤气|管道|罐|脚手架|电炉|"
        r"灶|井盖|楼梯|防火门|消防栓|行车|叉车|刹车|阀门)[^,.!?;。]{0,12}"
        r"(锈穿|锈断|断了|裂|漏|松动|冒烟|着火|烤|没人监护|一股味|变形|掉了|塌)",
        1.0,
        "设备设施有损坏或危险迹象",
        True,
    ),
    _w(SAFETY, r"没人监护|无人监护|一个人下到|捏把汗|怕哪天", 0.8, "作业无人监护或担心出事", True),
    _w(
        WAGES,
        r"(工资|奖金|年终奖|过节费|补助|补贴|加班费|路费|绩效|公积金|社保|工钱)[^,.!?;。]{0,12}"
        r"(拖|欠|扣|没有发|没发|不给|推一次|影子|骗|一分没有)",
        1.0,
        "工资待遇未按约定发放",
        True,
    ),
    _w(
        WAGES,
        r"(拖|欠|扣|克扣)[^,.!?;。]{0,8}(工资|奖金|补助|补贴|加班费|路费|工钱)",
        1.0,
        "工资待遇被拖欠或克扣",
        True,
    ),
    _w(WAGES, r"无偿加班|白干|说好的.{0,12}(没|不)", 1.0, "要求无偿加班或不兑现承诺", True),
    _w(
        CONFLICT,
        r"摔了我|当众|收了.{0,4}钱|吃拿卡要|给不合格",
        0.8,
        "有欺压或不公正对待",
        True,
    ),
    _w(DISTRESS, r"怎么活下去|活下去|心里堵|什么都不想做|整夜", 0.7, "情绪低落、生活压力大", True),
    _w(ESCALATE, r"总工会|上级工会|纪委|巡视组|坐着|等着看", 0.8, "表示要向上级反映或施压", True),
    _w(COLLECTIVE, r"十几个人|几十个人|都说不干了|不干了", 0.8, "有多人停工的苗头", True),
    # Ordinary questions and study: mentioning these words is not a problem.
    _w(
        SAFETY,
        r"隐患(排查表|举报有奖励|整改已经完成|上报)|如何发现隐患|怎么发现隐患|如果(发现|有)|去哪(里)?领|怎么领",
        -2.0,
        "",
        True,
    ),
    _w(
        ESCALATE,
        r"投诉电话|想表扬|本来想投诉|写论文|培训里|学习会|学习要用|有什么区别|是什么意思|仲裁员|帮亲戚|"
        r"帮老家亲戚|帮同事问",
        -2.0,
        "",
        True,
    ),
    _w(CONFLICT, r"(一般|应该)找谁调解", -2.0, "", True),
    _w(
        WAGES,
        r"扣了什么|扣的.{0,6}是什么|是什么项目|工资条|扣款明细|写清楚|怎么算|按什么算|扣多少|扣税",
        -1.5,
        "",
        True,
    ),
    _w(CONFLICT, r"让我滚|滚蛋|滚出去", 1.0, "有辱骂", True),
]

CATEGORY_RULES = [
    _c("question", "请问", 1.2),
    _c(
        "question",
        r"[?]|吗$|吗[,.!?]|怎么|如何|什么时候|哪里|在哪|几号|几点|多少|是否|能否|咋|啥时",
        0.8,
        True,
    ),
    _c("question", r"咨询|想问|问一下|问下|了解一下", 0.8, True),
    _c("suggestion", "建议", 1.6),
    _c("suggestion", r"希望|能不能|可以考虑|提个|最好|增设|加个|改进", 0.9, True),
    _c("complaint", "投诉", 1.2),
    _c(
        "complaint",
        r"太差|不满|没人管|没人理|谁来管|反映(好|了)?[几三两]次|不合理|不公平|凭什么",
        1.0,
        True,
    ),
    _c(
        "complaint",
        r"又|还没修|坏了|没有了|太慢|太多了|太繁琐|不行|真是|真行|厉害了|佩服|好家伙",
        0.5,
        True,
    ),
    _c("complaint", r"拖欠|克扣|欺负|骂|威胁|报复|上访|举报|罢工|曝光|隐患|危险|出事", 0.9, True),
    _c("help", r"求助|帮帮|帮忙|救急|急需|怎么办|求指导|该怎么办", 1.3, True),
    _c("help", r"住院|生病|病重|困难|互助金|补助|走投无路|崩溃|不想活|抑郁|睡不着|压力", 0.8, True),
    _c("praise", r"感谢|点赞|表扬|辛苦了|好评|给力|暖心", 1.5, True),
    _c("praise", "谢谢", 0.6),
]

DEFAULT_RULES = [*WARN_RULES, *CATEGORY_RULES]
