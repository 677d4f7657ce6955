"""First-run set-up of the reader site: the portal home and its columns. Idempotent."""

from django.db import transaction
from wagtail.models import Page, Site

from weizhi.content.models import ColumnPage, HomePage

COLUMNS = [
    ("今日头条", "toutiao", "每日要闻，权威发布。"),
    ("一图读懂", "yitu", "把政策和讲话浓缩成一张图。"),
    ("聚焦一线", "yixian", "基层党组织和党员的工作现场。"),
    ("微言大义", "weiyan", "职工对热点的短评与思考。"),
    ("党员风采", "dangyuan", "身边党员的先进事迹。"),
    ("职工原创", "yuanchuang", "职工自己的文字、摄影与书画。"),
    ("企业文化", "wenhua", "我们的传统、品牌与精神。"),
    ("最美员工", "zuimei", "平凡岗位上的不平凡。"),
    ("党建资讯", "dangjian", "党建工作动态与通知。"),
    ("微视频", "shipin", "党课教学、政策解读、专家视点。"),
]
HOME_TITLE = "微智"


@transaction.atomic
def ensure_site(site_title: str = HOME_TITLE) -> HomePage:
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        # Wagtail's placeholder welcome page occupies the slug we want; it has no content.
        for child in root.get_children().filter(slug="home").exact_type(Page):
            child.delete()
        home = root.add_child(
            instance=HomePage(title=site_title, slug="home", intro="传播党的声音，服务身边职工。")
        )
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=site_title,
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = site_title
        site.save()
    existing = set(ColumnPage.objects.child_of(home).values_list("slug", flat=True))
    for title, slug, description in COLUMNS:
        if slug in existing:
            continue
        column = home.add_child(
            instance=ColumnPage(
                title=title,
                slug=slug,
                description=description,
                show_in_menus=True,
            )
        )
        column.save_revision().publish()
    return home
