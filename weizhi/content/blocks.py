"""StreamField blocks shared by the content pages."""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "hr", "link", "blockquote"]


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label="图片")
    caption = blocks.CharBlock(label="图注", required=False, max_length=200)

    class Meta:
        icon = "image"
        label = "图片"
        template = "content/blocks/image.html"


class GalleryBlock(blocks.StructBlock):
    title = blocks.CharBlock(label="标题", required=False, max_length=100)
    images = blocks.ListBlock(ImageBlock(), label="图片", min_num=2, max_num=30)

    class Meta:
        icon = "image"
        label = "组图"
        template = "content/blocks/gallery.html"


class MediaSourceBlock(blocks.StructBlock):
    """A video or audio clip: an uploaded file, or the address of one on the intranet."""

    file = DocumentChooserBlock(label="文件", required=False)
    url = blocks.URLBlock(label="地址", required=False)
    title = blocks.CharBlock(label="标题", required=False, max_length=100)

    def clean(self, value):
        value = super().clean(value)
        if not value.get("file") and not value.get("url"):
            raise blocks.StructBlockValidationError(
                block_errors={"file": ValidationError("请上传文件或填写地址（二选一）。")}
            )
        return value


class VideoBlock(MediaSourceBlock):
    poster = ImageChooserBlock(label="封面", required=False)

    class Meta:
        icon = "media"
        label = "视频"
        template = "content/blocks/video.html"


class AudioBlock(MediaSourceBlock):
    class Meta:
        icon = "media"
        label = "音频"
        template = "content/blocks/audio.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label="引文", max_length=1000)
    attribution = blocks.CharBlock(label="出处", required=False, max_length=100)

    class Meta:
        icon = "openquote"
        label = "引用"
        template = "content/blocks/quote.html"


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(label="标题", required=False, max_length=100)
    text = blocks.RichTextBlock(label="内容", features=["bold", "italic", "link", "ol", "ul"])
    style = blocks.ChoiceBlock(
        label="样式",
        choices=[("info", "提示"), ("key", "要点"), ("warning", "提醒")],
        default="info",
    )

    class Meta:
        icon = "help"
        label = "提示框"
        template = "content/blocks/callout.html"


class StoryListBlock(blocks.StructBlock):
    """A list of stories on a topic page: chosen by hand, or the latest of a column."""

    title = blocks.CharBlock(label="标题", max_length=100)
    pages = blocks.ListBlock(
        blocks.PageChooserBlock(page_type="content.StoryPage"), label="指定稿件", required=False
    )
    column = blocks.PageChooserBlock(
        page_type="content.ColumnPage", label="或栏目最新", required=False
    )
    count = blocks.IntegerBlock(label="条数", min_value=1, max_value=20, default=5)

    class Meta:
        icon = "list-ul"
        label = "稿件列表"
        template = "content/blocks/story_list.html"


def body_blocks() -> list[tuple[str, blocks.Block]]:
    return [
        ("paragraph", blocks.RichTextBlock(label="正文", features=RICH_TEXT_FEATURES)),
        ("image", ImageBlock()),
        ("gallery", GalleryBlock()),
        ("video", VideoBlock()),
        ("audio", AudioBlock()),
        ("quote", QuoteBlock()),
        ("callout", CalloutBlock()),
    ]


def topic_blocks() -> list[tuple[str, blocks.Block]]:
    return [*body_blocks(), ("stories", StoryListBlock())]
