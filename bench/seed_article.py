"""Create and publish the benchmark's demo article; print its id and URL as JSON.

Run by bench/article.py with WEIZHI_VAR_DIR pointing at the benchmark's own instance,
after migrate and setup_site. Running it again reuses the article.
"""

import io
import json
import os
import sys

SLUG = "bench-article"
TITLE = "扎根一线攻难关——记检修车间“金牌工人”创新工作室"
SUMMARY = "三年攻克技术难题四十余项,一间不足四十平方米的工作室如何成为职工成长的摇篮。"
CAPTION = "创新工作室成员在检修现场讨论轴承故障诊断方案。"
PARAGRAPHS = [
    "清晨七点半,检修车间东侧那间不足四十平方米的小屋已经亮起了灯。墙上贴满了手绘的"
    "零件结构图,工作台上整齐摆放着拆解到一半的减速机。这里是以全国技术能手李建国"
    "名字命名的“金牌工人”创新工作室,三年来,工作室成员先后攻克生产技术难题四十余项,"
    "累计为企业节约成本一千二百多万元。",
    "工作室成立之初,只有三名成员和一套旧工具。“那时候设备一出故障就得请厂家来人,"
    "一等就是好几天,生产线停一天损失几十万。”李建国回忆说。车间党支部把“让关键设备"
    "的病在家门口治好”作为支部书记项目,推动成立了这个由党员骨干牵头、青年职工广泛"
    "参与的技术攻关团队。",
    "<b>把难题当课题。</b>去年夏天,主生产线一台进口轧机频繁出现振动超标,厂家给出的"
    "方案是整体更换轴承座,报价超过八十万元,工期两个月。工作室成员连续二十多天蹲守"
    "现场,采集了上万组振动数据,最终发现问题出在润滑油路设计上。他们自行设计改造"
    "方案,只花了不到三万元、停机两天就彻底解决了问题。",
    "<b>把经验变教材。</b>李建国常说:“一个人会不算会,大家都会才算会。”工作室坚持"
    "每周四晚上开设“金牌讲堂”,由成员轮流把自己的绝活讲出来、演示出来。三年来共编写"
    "《设备点检实用手册》《常见故障一百例》等内部教材六本,拍摄操作示范短视频一百二十"
    "余个,全部上传到企业学习平台,供一线职工随时学习。",
    "<b>把青年推到前台。</b>工作室实行“师带徒、徒当师”的培养模式,每名党员骨干至少"
    "带两名青年徒弟,徒弟出师后再带新人。九五后职工王晓晨进厂时连图纸都看不太懂,"
    "在师傅手把手的帮带下,两年后就在集团职业技能竞赛中拿下钳工组第一名,如今也成了"
    "工作室的骨干成员。",
    "在工作室的带动下,车间职工参与技术创新的热情越来越高。今年以来,车间共收到合理化"
    "建议二百一十三条,采纳实施一百五十六条,其中十二项获得国家实用新型专利授权。"
    "“以前觉得搞创新是技术员的事,现在我们一线工人也能在自己的岗位上出成果。”一名老"
    "职工感慨地说。",
    "车间党支部书记张红表示,创新工作室是支部把党建工作与生产经营深度融合的一个缩影。"
    "下一步,支部将继续发挥党员先锋模范作用,围绕设备智能化改造、节能降耗等重点任务,"
    "组建更多党员攻关小组,让党旗在生产一线高高飘扬。",
    "夜幕降临,工作室的灯依然亮着。几名年轻人围在李建国身边,讨论着明天就要开始的"
    "新一轮设备检修方案。窗外,生产线平稳运转的声音隐约传来。对他们来说,这就是最好"
    "听的声音。",
]


def make_photo() -> io.BytesIO:
    """A 1600×900 JPEG that compresses like a photo, not like a flat colour."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height = 1600, 900
    image = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (image, image.rotate(180), Image.new("L", (width, height), 90)))
    draw = ImageDraw.Draw(image)
    for i in range(40):
        x, y = (i * 397) % width, (i * 211) % height
        radius = 30 + (i * 37) % 120
        colour = ((i * 53) % 256, (i * 97) % 256, (i * 31) % 256)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    draw.rectangle((0, height - 160, width, height), fill=(183, 28, 28))
    image = image.filter(ImageFilter.GaussianBlur(2)).effect_spread(3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer


def main() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhi.settings")
    import django

    django.setup()
    from django.core.files.images import ImageFile
    from wagtail.images.models import Image

    from weizhi.content.models import ArticlePage, ColumnPage

    page = ArticlePage.objects.filter(slug=SLUG).first()
    if page is None:
        photo = Image.objects.create(
            title="检修现场", file=ImageFile(make_photo(), name="bench-workshop.jpg")
        )
        blocks = [{"type": "paragraph", "value": f"<p>{text}</p>"} for text in PARAGRAPHS]
        blocks.insert(2, {"type": "image", "value": {"image": photo.pk, "caption": CAPTION}})
        column = ColumnPage.objects.get(slug="toutiao")
        page = column.add_child(
            instance=ArticlePage(
                title=TITLE,
                slug=SLUG,
                summary=SUMMARY,
                author="车间党支部 供稿",
                cover=photo,
                body=blocks,
            )
        )
        page.tags.add("创新工作室", "技能人才")
        page.save_revision().publish()
    print(json.dumps({"id": page.pk, "url": page.get_url()}))


if __name__ == "__main__":
    main()
