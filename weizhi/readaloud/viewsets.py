"""Admin screens for editors: 朗读系列 and 朗读篇目 (a reference recording checked by its bytes
like a member's)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views.generic import EditView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import HeaderButton

from . import audio, conf, reference
from .models import Clip, Series

ENABLED = BooleanColumn("enabled", label="启用", sort_key="enabled")


class SeriesViewSet(ModelViewSet):
    name = "readaloud_series"
    model = Series
    icon = "folder-open-inverse"
    menu_label = "朗读系列"
    list_display = ["title", "order", ENABLED]
    search_backend_name = None
    copy_view_enabled = False
    form_fields = ["title", "intro", "order", "enabled"]


class ClipForm(WagtailAdminModelForm):
    class Meta:
        model = Clip
        fields = ["series", "title", "passage", "reference_audio", "interpretation", "order",
                  "opens_on", "closes_on", "enabled"]  # fmt: skip

    def clean_reference_audio(self):
        upload = self.cleaned_data.get("reference_audio")
        if not upload or not hasattr(upload, "content_type"):
            return upload  # unchanged or cleared
        if upload.size > conf.max_bytes():
            raise forms.ValidationError(f"示范音频不能超过 {conf.max_bytes() // 1048576} MB。")
        upload.seek(0)
        fmt = audio.sniff(upload.read(64))
        upload.seek(0)
        if fmt is None:
            raise forms.ValidationError(
                "这不是可以识别的音频文件（支持 mp3、m4a、ogg、webm、amr、wav）。"
            )
        # Served from /media/ by its name: an "x.html" with a WAV head must not be a page.
        upload.name = audio.stored_name(fmt)
        return upload

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "结束日期不能早于开始日期。")
        return data


class ClipEditView(EditView):
    @property
    def header_buttons(self) -> list:
        buttons = list(super().header_buttons)
        if reference.available():
            url = reverse("readaloud_reference", args=[self.object.pk])
            buttons.append(HeaderButton("生成示范朗读", url=url, icon_name="media"))
        return buttons


class ClipViewSet(ModelViewSet):
    name = "readaloud_clip"
    model = Clip
    icon = "doc-full"
    menu_label = "朗读篇目"
    edit_view_class = ClipEditView
    edit_handler = ObjectList(
        [FieldPanel(name) for name in ClipForm.Meta.fields], base_form_class=ClipForm
    )
    list_display = ["title", "series", "order", "opens_on", "closes_on", ENABLED]
    list_filter = ["series", "enabled"]
    search_fields = ["title", "passage"]
    search_backend_name = None
    copy_view_enabled = False


class ReadAloudGroup(ViewSetGroup):
    menu_label = "听读悟"
    menu_icon = "media"
    menu_order = 265
    items = (SeriesViewSet, ClipViewSet)
