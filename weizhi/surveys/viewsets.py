"""The survey builder in the admin: settings and a list of questions (an inline panel), with
every option line and show-if condition checked before it is saved."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from . import logic
from .meetings import expectable_branches, visible_meetings
from .models import Meeting, Question, Survey, number_questions


class SurveyForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        formset = self.formsets.get("questions")
        if formset is None or not formset.is_valid():
            return cleaned
        if self.instance.pk and self.instance.responses.exists() and formset.has_changed():
            self.add_error(None, "问卷已有答卷，不能再修改题目（可以复制一份再改）。")
            return cleaned
        kept = [
            f
            for f in formset.ordered_forms or formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        questions = [f.save(commit=False) for f in kept]
        number_questions(questions)
        items = []
        for form, question in zip(kept, questions, strict=True):
            try:
                items.append(question.item())
            except logic.RuleError as e:
                form.add_error(
                    "options" if "选项" in str(e) or "限额" in str(e) else "show_if", str(e)
                )
                return cleaned
            if question.kind in logic.OPTION_KINDS and not question.item().options:
                form.add_error("options", "这种题型至少需要一个选项。")
            if question.kind == logic.MATRIX and not question.item().rows:
                form.add_error("rows", "矩阵题至少需要一行。")
            if question.kind != logic.PAGE_BREAK and not question.title.strip():
                form.add_error("title", "请填写题目。")
        for message in logic.check_rules(items):
            self.add_error(None, message)
        if cleaned.get("audience") == Survey.Audience.TAGGED and not cleaned.get("tag"):
            self.add_error("tag", "答题范围为带标签的粉丝时，请选择标签。")
        return cleaned


class SurveyIndexView(generic.IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .annotate(response_count=Count("responses", filter=Q(responses__cancelled_at=None)))
        )


def _links(survey: Survey) -> str:
    return format_html(
        '<a href="{}">结果</a> · <a href="{}">链接与二维码</a>',
        reverse("surveys_results", args=[survey.pk]),
        reverse("surveys_share", args=[survey.pk]),
    )


class SurveyViewSet(ModelViewSet):
    name = "survey_admin"
    model = Survey
    icon = "form"
    menu_label = "问卷"
    index_view_class = SurveyIndexView
    copy_view_enabled = False
    list_display = [
        "title",
        "kind",
        "published",
        "anonymous",
        Column("response_count", label="答卷数"),
        Column("links", label="查看", accessor=_links),
    ]
    list_filter = ["kind", "published"]
    search_fields = ["title"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("title"),
                    FieldPanel("kind"),
                    FieldPanel("intro"),
                    FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                    FieldPanel("published"),
                    FieldPanel("is_template"),
                ],
                heading="基本信息",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("anonymous"),
                    FieldPanel("audience"),
                    FieldPanel("branches"),
                    FieldPanel("tag"),
                    FieldPanel("capacity"),
                    FieldPanel("results_public"),
                    FieldPanel("thanks"),
                ],
                heading="作答设置",
            ),
            InlinePanel("questions", heading="题目", label="题目"),
        ],
        base_form_class=SurveyForm,
    )


Question.panels = [
    FieldRowPanel([FieldPanel("kind"), FieldPanel("required")]),
    FieldPanel("title"),
    FieldPanel("options"),
    FieldPanel("rows"),
    FieldRowPanel([FieldPanel("min_choices"), FieldPanel("max_choices"), FieldPanel("max_length")]),
    FieldRowPanel([FieldPanel("min_value"), FieldPanel("max_value"), FieldPanel("shuffle")]),
    FieldPanel("show_if"),
]


def _host_link(meeting: Meeting) -> str:
    return format_html(
        '<a href="{}">签到大屏</a>', reverse("surveys_meeting_host", args=[meeting.pk])
    )


class MeetingForm(WagtailAdminModelForm):
    """Expected branches only from the user's own subtree; the creator kept on creation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "expected_branches" in self.fields:
            field = self.fields["expected_branches"]
            field.queryset = expectable_branches(self.for_user)

    def clean_expected_branches(self):
        chosen = self.cleaned_data["expected_branches"]
        if self.instance.pk and self.for_user is not None:
            # Branches outside the user's subtree, set by someone above them, stay as they were.
            hidden = self.instance.expected_branches.exclude(
                pk__in=expectable_branches(self.for_user).values("pk")
            )
            chosen = list(chosen) + list(hidden)
        return chosen

    def save(self, commit: bool = True) -> Meeting:
        if self.instance.pk is None and self.for_user is not None:
            self.instance.created_by = self.for_user
        return super().save(commit=commit)


class MeetingScoped:
    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not visible_meetings(self.request.user).filter(pk=obj.pk).exists():
            raise Http404
        return obj


class MeetingIndexView(generic.IndexView):
    def get_base_queryset(self):
        return visible_meetings(self.request.user, super().get_base_queryset())


class MeetingEditView(MeetingScoped, generic.EditView):
    pass


class MeetingDeleteView(MeetingScoped, generic.DeleteView):
    pass


class MeetingViewSet(ModelViewSet):
    name = "meeting_admin"
    model = Meeting
    icon = "date"
    menu_label = "会议签到"
    copy_view_enabled = False
    inspect_view_enabled = False
    index_view_class = MeetingIndexView
    edit_view_class = MeetingEditView
    delete_view_class = MeetingDeleteView
    list_display = [
        "title",
        "starts_at",
        "location",
        Column("host", label="签到", accessor=_host_link),
    ]
    search_fields = ["title"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("location"),
            FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
            FieldPanel("expected_branches"),
        ],
        base_form_class=MeetingForm,
    )


class SurveyGroup(ViewSetGroup):
    menu_label = "问卷调查"
    menu_icon = "form"
    menu_order = 260
    items = (SurveyViewSet, MeetingViewSet)
