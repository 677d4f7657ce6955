"""Demo content for 听读悟: one series of ten short passages of the Party Constitution (党章)
and the oath (入党誓词), quoted word for word, each with a short 解读 written for the demo; and
a few sample readings whose recordings are generated tones, labelled as placeholders (no
person reads in them). Idempotent: clips are found by title, samples made once."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from weizhi.audience.models import Member
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Kind

from .audio import silent_wav
from .models import Channel, Clip, Reading, Series

SERIES = "党章党规天天读（演示）"
PLACEHOLDER = "（演示占位录音：提示音，非真人朗读）"

CLIPS = [
    ("入党誓词",
     "我志愿加入中国共产党，拥护党的纲领，遵守党的章程，履行党员义务，执行党的决定，严守党的纪律，"
     "保守党的秘密，对党忠诚，积极工作，为共产主义奋斗终身，随时准备为党和人民牺牲一切，永不叛党。",
     "誓词是每名党员对党作出的庄严承诺。重温誓词，就是对照初心检查自己。"),
    ("党章总纲：党的性质",
     "中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队，是中国特色社会主义事业的"
     "领导核心，代表中国先进生产力的发展要求，代表中国先进文化的前进方向，代表中国最广大人民的根本利益。",
     "“两个先锋队”说明党的阶级基础和群众基础；“三个代表”说明党始终站在时代前列。"),
    ("党章总纲：最高理想",
     "党的最高理想和最终目标是实现共产主义。",
     "远大理想与共同理想相统一，立足本职做好每一件事。"),
    ("党章总纲：行动指南",
     "中国共产党以马克思列宁主义、毛泽东思想、邓小平理论、“三个代表”重要思想、科学发展观、"
     "习近平新时代中国特色社会主义思想作为自己的行动指南。",
     "行动指南是党的指导思想，学习党章首先要把握它。"),
    ("党章总纲：基本路线",
     "中国共产党在社会主义初级阶段的基本路线是：领导和团结全国各族人民，以经济建设为中心，"
     "坚持四项基本原则，坚持改革开放，自力更生，艰苦创业，为把我国建设成为富强民主文明和谐美丽的"
     "社会主义现代化强国而奋斗。",
     "“一个中心、两个基本点”是党的基本路线的核心内容。"),
    ("党章第一条：入党条件",
     "年满十八岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子，承认党的纲领和章程，"
     "愿意参加党的一个组织并在其中积极工作、执行党的决议和按期交纳党费的，可以申请加入中国共产党。",
     "入党条件包括年龄、身份和四项要求，缺一不可。"),
    ("党章第二条：先锋战士",
     "中国共产党党员是中国工人阶级的有共产主义觉悟的先锋战士。",
     "先锋战士的标准，要求党员在工作和生活中走在前面。"),
    ("党章第二条：全心全意",
     "中国共产党党员必须全心全意为人民服务，不惜牺牲个人的一切，为实现共产主义奋斗终身。",
     "全心全意为人民服务是党的根本宗旨，也是每名党员的本分。"),
    ("党章第二条：普通一员",
     "中国共产党党员永远是劳动人民的普通一员。除了法律和政策规定范围内的个人利益和工作职权以外，"
     "所有共产党员都不得谋求任何私利和特权。",
     "党员没有特权，只有多吃苦、多奉献的义务。"),
    ("党章第十条：民主集中制",
     "党员个人服从党的组织，少数服从多数，下级组织服从上级组织，全党各个组织和全体党员服从党的"
     "全国代表大会和中央委员会。",
     "“四个服从”是民主集中制的基本原则，其中最重要的是全党服从中央。"),
]  # fmt: skip


def load_demo_readaloud() -> dict[str, int]:
    with transaction.atomic():
        series, _ = Series.objects.get_or_create(
            title=SERIES, defaults={"intro": "每天朗读一段党章或誓词，先听后读，读后看解读。"}
        )
        made = 0
        for order, (title, passage, interpretation) in enumerate(CLIPS):
            _clip, created = Clip.objects.update_or_create(
                series=series, title=title,
                defaults={"passage": passage, "interpretation": interpretation, "order": order},
            )  # fmt: skip
            made += created
        samples = _samples(series)
    return {"clips": made, "readings": samples}


def _samples(series: Series) -> int:
    """Three placeholder readings of the oath by the first demo members, once."""
    if Reading.objects.filter(clip__series=series).exists():
        return 0
    oath = series.clips.get(title="入党誓词")
    members = list(Member.objects.active().order_by("employee_number")[:3])
    for i, member in enumerate(members):
        now = timezone.now()
        reading = Reading(
            member=member, clip=oath, channel=Channel.WEB, audio_format="wav",
            duration=3.0, consent=i == 0, created_at=now, day=timezone.localdate(now),
        )  # fmt: skip
        tone = ContentFile(silent_wav(3.0, beep=True))
        reading.audio.save(f"demo-placeholder-{i + 1}.wav", tone, save=False)
        reading.save()
        reading.item = moderation.enqueue(
            Kind.READING, title=oath.title, text=PLACEHOLDER, member=member
        )
        reading.save(update_fields=["item"])
    return len(members)
