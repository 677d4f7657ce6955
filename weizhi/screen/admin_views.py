"""The lexicon import (a one-term-per-line file, UTF-8 or GBK) and a page to try the screen."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from . import services
from .models import Category, Lexicon


class ImportForm(forms.Form):
    lexicon = forms.ModelChoiceField(Lexicon.objects.all(), label="导入到词库", empty_label=None)
    category = forms.CharField(
        label="默认类别",
        max_length=40,
        initial="未分类",
        help_text="一行里写“词”、一个制表符、再写“类别”的，按行内类别；其余归入默认类别。",
    )
    file = forms.FileField(label="词表文件（.txt，一行一个词，UTF-8 或 GBK 编码）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > services.MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"文件太大：不能超过 {services.MAX_IMPORT_BYTES // 1024 // 1024} MB。"
            )
        return upload


@permission_required("screen.import_terms", raise_exception=True)
def import_view(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        category, _ = Category.objects.get_or_create(name=form.cleaned_data["category"].strip())
        try:
            outcome = services.import_terms(
                form.cleaned_data["lexicon"], category, form.cleaned_data["file"].read()
            )
        except services.ImportRefused as error:
            form.add_error("file", str(error))
        else:
            text = f"已导入 {outcome.added} 个词，{outcome.already} 个已在词库中。"
            if outcome.too_long:
                text += (
                    f"另有 {len(outcome.too_long)} 行超过 {services.MAX_TERM_LENGTH} 字，未导入。"
                )
            messages.success(request, text)
            return redirect(reverse("screen_import"))
    return TemplateResponse(request, "screen/import.html", {"form": form})


class TryForm(forms.Form):
    text = forms.CharField(label="要筛查的文字", widget=forms.Textarea, max_length=5000)


@permission_required("screen.view_term", raise_exception=True)
def try_view(request: HttpRequest) -> HttpResponse:
    form = TryForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.screen(form.cleaned_data["text"])
    return TemplateResponse(request, "screen/try.html", {"form": form, "result": result})
