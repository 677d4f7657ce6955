"""Limits on images: how many pixels an upload may have, and how large a rendition may be.

Wagtail counts an upload's pixels itself, but through Pillow, whose decompression-bomb guard
raises first for an image of over twice Pillow's limit: a 500 instead of a refusal. The admin's
image forms (add, multiple add, chooser upload, replace) get a file field that refuses both
alike. Renditions are capped in area whatever a filter spec asks for (the admin's image preview
draws any size an editor types in the URL generator, and scale-N enlarges), so none costs
more memory than IMAGE_MAX_RENDITION_PIXELS.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from PIL import Image as PILImage
from wagtail import hooks
from wagtail.images import image_operations as ops
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

log = logging.getLogger(__name__)


def too_many_pixels(limit: int, size: str = "") -> str:
    count = f"{limit // 10_000} 万像素" if limit % 10_000 == 0 else f"{limit:,} 像素"
    return f"图片太大{size}，超过上限 {count}。请缩小尺寸后再上传。"


class ImageFileField(WagtailImageField):
    def check_image_pixel_size(self, f: File) -> None:
        limit = self.max_image_pixels
        if limit is None:
            return
        try:
            width, height = f.image.get_size()
            frames = f.image.get_frame_count()
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as error:
            log.warning("image upload %r refused: %s", f.name, error)
            raise ValidationError(too_many_pixels(limit), code="file_too_many_pixels") from None
        if width * height * frames > limit:
            log.warning(
                "image upload %r refused: %dx%d x %d frame(s) is over the cap of %d pixels",
                f.name,
                width,
                height,
                frames,
                limit,
            )
            frames_text = f"，{frames} 帧" if frames > 1 else ""
            size = f"（{width}×{height} 像素{frames_text}）"
            raise ValidationError(too_many_pixels(limit, size), code="file_too_many_pixels")


class ImageForm(BaseImageForm):
    """WAGTAILIMAGES_IMAGE_FORM_BASE: Wagtail's image form with ImageFileField for the file."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        if field is not None and not isinstance(field, ImageFileField):
            self.fields["file"] = ImageFileField(
                label=field.label, required=field.required, widget=field.widget
            )


def capped(transform: ops.ImageTransform) -> ops.ImageTransform:
    """The transform, scaled down to IMAGE_MAX_RENDITION_PIXELS if it would give more."""
    width, height = transform.size
    limit = settings.IMAGE_MAX_RENDITION_PIXELS
    if width * height <= limit:
        return transform
    factor = (limit / (width * height)) ** 0.5
    return transform.resize((max(1, int(width * factor)), max(1, int(height * factor))))


class _Capped:
    def run(self, transform: ops.ImageTransform, image: object) -> ops.ImageTransform:
        return capped(super().run(transform, image))


class CappedFill(_Capped, ops.FillOperation):
    pass


class CappedMinMax(_Capped, ops.MinMaxOperation):
    pass


class CappedWidthHeight(_Capped, ops.WidthHeightOperation):
    pass


class CappedScale(_Capped, ops.ScaleOperation):
    pass


class CappedOriginal(ops.TransformOperation):
    """ "original", which Wagtail passes through untouched, within the cap too."""

    def construct(self) -> None:
        pass

    def run(self, transform: ops.ImageTransform, image: object) -> ops.ImageTransform:
        return capped(transform)


# After Wagtail's own (order 0), so these replace its operations of the same names.
@hooks.register("register_image_operations", order=1)
def capped_operations() -> list[tuple[str, type]]:
    return [
        ("original", CappedOriginal),
        ("fill", CappedFill),
        ("min", CappedMinMax),
        ("max", CappedMinMax),
        ("width", CappedWidthHeight),
        ("height", CappedWidthHeight),
        ("scale", CappedScale),
    ]
