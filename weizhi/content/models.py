"""Page types of the reader site: the portal home, columns and the stories in them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from weizhi.analytics.services import stats_for
from weizhi.content.blocks import ImageBlock, body_blocks, topic_blocks
from weizhi.content.listing import paginate, with_covers
from weizhi.content.slugs import ReadableSlugMixin
from weizhi.core.siteurl import as_local

HOME_LATEST = 12  # stories under the pinned ones on the home page
STORY_TYPES = [
    "content.ArticlePage",
    "content.RepostPage",
    "content.InfographicPage",
    "content.VideoPage",
]


class CachedPageMixin:
    """Marks the live view of a page as cacheable by the page cache middleware."""

    count_reads = False

    def serve(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().serve(request, *args, **kwargs)
        response.weizhi_cacheable = True
        if self.count_reads:
            response.weizhi_count_page = self.pk
        return response


class StoryQuerySet(PageQuerySet):
    def published(self) -> "StoryQuerySet":
        return self.live().public()

    def in_column(self, column: Page) -> "StoryQuerySet":
        return self.child_of(column)

    def newest_first(self) -> "StoryQuerySet":
        return self.annotate(sort_date=Coalesce("display_date", "first_published_at")).order_by(
            "-sort_date", "-pk"
        )

    def pinned(self, now=None) -> "StoryQuerySet":
        return self.filter(pinned_until__gt=now or timezone.now())


StoryManager = PageManager.from_queryset(StoryQuerySet)


class HomePage(CachedPageMixin, Page):
    intro = models.CharField("欢迎语", max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    # The home is the site's root: its address and menus are set by the site, not the page.
    promote_panels: list = []
    subpage_types = ["content.ColumnPage", "content.TopicPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    # The explorer lists the columns as the reader's tabs show them: in the tree's order,
    # which editors change by dragging; the tabs read the same order (child_of sorts by path).
    admin_default_ordering = "ord"

    class Meta:
        verbose_name = "门户首页"

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        published = StoryPage.objects.published().descendant_of(self)
        pinned = list(with_covers(published.pinned(timezone.now()).order_by("-pinned_until"))[:5])
        latest = with_covers(published.exclude(pk__in=[p.pk for p in pinned]).newest_first())
        context["columns"] = ColumnPage.objects.child_of(self).live().in_menu()
        context["latest"] = paginate(latest, request, HOME_LATEST)
        # The headline and the 专题 belong to the front page, not to its later pages.
        first = context["latest"].number == 1
        context["pinned"] = pinned if first else []
        context["topics"] = (
            TopicPage.objects.child_of(self).live().public().order_by("-first_published_at")
            if first
            else []
        )
        return context


class ColumnPage(ReadableSlugMixin, CachedPageMixin, Page):
    description = models.CharField("栏目简介", max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("description")]
    promote_panels = [
        MultiFieldPanel(
            [FieldPanel("slug"), FieldPanel("show_in_menus", heading="在首页栏目导航中显示")],
            heading="栏目设置",
        )
    ]
    search_fields = [*Page.search_fields, index.SearchField("description")]
    parent_page_types = ["content.HomePage"]
    subpage_types = STORY_TYPES

    class Meta:
        verbose_name = "栏目"

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        stories = with_covers(StoryPage.objects.published().in_column(self).newest_first())
        context["columns"] = ColumnPage.objects.child_of(self.get_parent()).live().in_menu()
        context["stories"] = paginate(stories, request)
        return context


class StoryTag(TaggedItemBase):
    content_object = ParentalKey(
        "content.StoryPage", related_name="tagged_items", on_delete=models.CASCADE
    )


class StoryPage(ReadableSlugMixin, CachedPageMixin, Page):
    """What every item in a column has in common; never created on its own."""

    summary = models.CharField("摘要", max_length=200, blank=True)
    cover = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="封面图",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author = models.CharField("作者", max_length=50, blank=True)
    display_date = models.DateTimeField(
        "发布时间", null=True, blank=True, help_text="留空则使用首次发布的时间。"
    )
    pinned_until = models.DateTimeField(
        "置顶至", null=True, blank=True, help_text="在此时间之前，该稿件显示在首页头条位置。"
    )
    tags = ClusterTaggableManager("标签", through=StoryTag, blank=True)
    body = StreamField(body_blocks(), verbose_name="正文", blank=True)

    objects = StoryManager()
    count_reads = True
    is_creatable = False
    parent_page_types = ["content.ColumnPage"]
    subpage_types: list[str] = []

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("cover"),
        FieldRowPanel([FieldPanel("author"), FieldPanel("display_date")]),
        FieldPanel("body"),
    ]
    # No SEO title, search-engine description or menu flag: readers arrive from WeChat, the
    # share card and the page's description come from 摘要, and stories are not in menus.
    promote_panels = [
        MultiFieldPanel([FieldPanel("slug")], heading="页面地址"),
        MultiFieldPanel([FieldPanel("tags"), FieldPanel("pinned_until")], heading="标签与置顶"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("author"),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.FilterField("pinned_until"),
    ]

    class Meta:
        verbose_name = "稿件"

    @property
    def date(self):
        return self.display_date or self.first_published_at or self.latest_revision_created_at

    @property
    def is_pinned(self) -> bool:
        return bool(self.pinned_until and self.pinned_until > timezone.now())

    @property
    def kind_label(self) -> str:
        return self.specific_class._meta.verbose_name if self.specific_class else ""

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["stats"] = stats_for(self.pk)
        context["column"] = self.get_parent()
        return context


class ArticlePage(StoryPage):
    is_creatable = True
    template = "content/article_page.html"

    class Meta:
        verbose_name = "文章"


class RepostPage(StoryPage):
    source_name = models.CharField("来源", max_length=50, help_text="如：人民日报、新华网")
    source_url = models.URLField("原文链接", max_length=500)
    source_date = models.DateField("原文日期")

    is_creatable = True
    template = "content/article_page.html"
    content_panels = [
        *StoryPage.content_panels[:1],
        MultiFieldPanel(
            [FieldPanel("source_name"), FieldPanel("source_url"), FieldPanel("source_date")],
            heading="转载来源",
        ),
        *StoryPage.content_panels[1:],
    ]
    search_fields = [*StoryPage.search_fields, index.SearchField("source_name")]

    class Meta:
        verbose_name = "转载"


class InfographicPage(StoryPage):
    images = StreamField(
        [("image", ImageBlock())],
        verbose_name="长图",
        min_num=1,
        max_num=20,
    )
    text_version = RichTextField(
        "文字版",
        features=["h2", "h3", "bold", "ol", "ul"],
        help_text="图片内容的文字版本，用于搜索和无障碍阅读。",
    )

    is_creatable = True
    content_panels = [
        *StoryPage.content_panels[:4],
        FieldPanel("images"),
        FieldPanel("text_version"),
    ]
    search_fields = [*StoryPage.search_fields, index.SearchField("text_version")]

    class Meta:
        verbose_name = "一图读懂"


class VideoPage(StoryPage):
    SERIES = [
        ("lesson", "党课教学"),
        ("policy", "政策解读"),
        ("expert", "专家视点"),
        ("other", "其他"),
    ]

    video = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name="视频文件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    video_url = models.URLField("视频地址", max_length=500, blank=True)
    poster = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="视频封面",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duration_seconds = models.PositiveIntegerField("时长（秒）", default=0)
    series = models.CharField("系列", max_length=20, choices=SERIES, default="lesson")

    is_creatable = True
    content_panels = [
        *StoryPage.content_panels[:4],
        MultiFieldPanel(
            [
                FieldPanel("video"),
                FieldPanel("video_url"),
                FieldPanel("poster"),
                FieldRowPanel([FieldPanel("duration_seconds"), FieldPanel("series")]),
            ],
            heading="视频",
        ),
        FieldPanel("body"),
    ]
    search_fields = [*StoryPage.search_fields, index.FilterField("series")]

    class Meta:
        verbose_name = "微视频"

    def clean(self) -> None:
        super().clean()
        if not self.video_id and not self.video_url:
            raise ValidationError({"video": "请上传视频文件或填写视频地址（二选一）。"})

    @property
    def duration_label(self) -> str:
        minutes, seconds = divmod(self.duration_seconds, 60)
        return f"{minutes:02d}:{seconds:02d}"

    @property
    def source(self) -> str:
        return self.video.url if self.video_id else as_local(self.video_url)


class TopicPage(ReadableSlugMixin, CachedPageMixin, Page):
    """专题: a campaign or anniversary page composed from blocks."""

    banner = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="横幅图",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    intro = models.CharField("导语", max_length=300, blank=True)
    body = StreamField(topic_blocks(), verbose_name="内容", blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("banner"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    # Every live 专题 is linked from the home page; only its address is the editor's to set.
    promote_panels = [MultiFieldPanel([FieldPanel("slug")], heading="页面地址")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["content.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "专题"
