"""The forms of the admin inbox (Chinese labels and messages)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from weizhi.audience.models import Branch

from .models import Department, Snippet
from .services import MAX_TEXT


def handler_users():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(
                groups__permissions__codename="handle_item",
                groups__permissions__content_type__app_label="inbox",
            )
        )
        .distinct()
        .order_by("username")
    )


class ReplyForm(forms.Form):
    snippet = forms.ModelChoiceField(
        Snippet.objects.all(), required=False, label="快捷回复", empty_label="（不使用）"
    )
    text = forms.CharField(
        label="答复内容",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": f"答复内容不能超过 {MAX_TEXT} 字。"},
    )

    def clean(self):
        data = super().clean()
        text = (data.get("text") or "").strip()
        if not text and data.get("snippet"):
            text = data["snippet"].text
        if not text:
            raise forms.ValidationError("请填写答复内容或选择一条快捷回复。")
        data["text"] = text
        return data


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(
        Department.objects.all(), required=False, label="承办部门", empty_label="（无）"
    )
    branch = forms.ModelChoiceField(
        Branch.objects.order_by("path"), required=False, label="承办支部", empty_label="（无）"
    )
    user = forms.ModelChoiceField(
        get_user_model().objects.none(), required=False, label="承办人", empty_label="（无）"
    )
    due_at = forms.DateTimeField(
        label="办理时限",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="不填则按默认时限（3 天）。",
        error_messages={"invalid": "请填写正确的日期和时间。"},
    )
    note = forms.CharField(label="派单说明", max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = handler_users()
        self.fields["branch"].label_from_instance = lambda b: b.indented_name


class NoteForm(forms.Form):
    text = forms.CharField(
        label="内部备注（留言人看不到）",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "备注内容不能为空。"},
    )


class TagsForm(forms.Form):
    tags = forms.CharField(label="标签（用逗号或空格分隔）", max_length=200, required=False)

    def names(self) -> list[str]:
        raw = self.cleaned_data.get("tags", "").replace("，", ",").replace(" ", ",")
        return [n for n in raw.split(",") if n.strip()]
