"""Admin screens: the question bank (题库), activities (答题活动) and attempts (答题记录)."""

from __future__ import annotations

from django import forms
from django.http import Http404
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from weizhi.audience.scope import visible_members
from weizhi.core.readonly import ReadOnlyPermissionPolicy

from . import bank, scoring
from .models import Activity, Attempt, Question

ENABLED = BooleanColumn("enabled", label="启用", sort_key="enabled")
OPTION_FIELDS = [f"option_{letter}" for letter in scoring.LETTERS]


class QuestionForm(WagtailAdminModelForm):
    """Options as eight text boxes, and the answer checked and normalised like an import."""

    class Meta:
        model = Question
        fields = ["kind", "stem", *OPTION_FIELDS, "answer", "explanation", "category",
                  "difficulty", "score", "partial", "source", "enabled"]  # fmt: skip

    for _letter in scoring.LETTERS:
        locals()[f"option_{_letter}"] = forms.CharField(
            label=f"选项{_letter}", required=False, max_length=200
        )
    del _letter

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        options = list(self.instance.options or [])
        for i, letter in enumerate(scoring.LETTERS):
            self.fields[f"option_{letter}"].initial = options[i] if i < len(options) else ""

    def clean(self):
        data = super().clean()
        row = {
            "题型": scoring.KIND_LABELS.get(data.get("kind", ""), ""),
            "题干": data.get("stem", ""),
            "答案": data.get("answer", ""),
            "分值": str(data.get("score") or 1),
            **{f"选项{c}": data.get(f"option_{c}", "") for c in scoring.LETTERS},
        }
        try:
            fields = bank.parse_row(row)
        except bank.Refusal as refusal:
            target = {"题干": "stem", "答案": "answer", "分值": "score"}.get(refusal.column)
            self.add_error(target, refusal.reason)
            return data
        data["answer"] = fields["answer"]
        self.instance.options = fields["options"]
        return data


class QuestionViewSet(ModelViewSet):
    name = "quiz_question"
    model = Question
    edit_handler = ObjectList(
        [FieldPanel(name) for name in QuestionForm.Meta.fields], base_form_class=QuestionForm
    )
    icon = "help"
    menu_label = "题库"
    list_display = [
        "stem",
        "kind",
        "category",
        "difficulty",
        "score",
        BooleanColumn("enabled", label="启用", sort_key="enabled"),
    ]
    list_filter = ["kind", "category", "difficulty", "enabled"]
    search_fields = ["stem", "category"]
    search_backend_name = None
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["kind", "stem", "options", "answer", "explanation", "category",
                           "difficulty", "score", "partial", "source", "enabled"]  # fmt: skip


class ActivityViewSet(ModelViewSet):
    name = "quiz_activity"
    model = Activity
    icon = "time"
    menu_label = "答题活动"
    list_display = ["title", "mode", "question_count", "time_limit", "opens_at", "closes_at",
                    ENABLED]  # fmt: skip
    list_filter = ["mode", "enabled"]
    search_fields = ["title"]
    search_backend_name = None
    copy_view_enabled = False
    form_fields = ["title", "mode", "question_count", "quotas", "category", "time_limit",
                   "opens_at", "closes_at", "attempts_per_day", "audience", "branches",
                   "show_top", "enabled"]  # fmt: skip


def visible_attempts(user):
    return Attempt.objects.filter(member__in=visible_members(user))


class AttemptIndexView(generic.IndexView):
    def get_base_queryset(self):
        return visible_attempts(self.request.user).select_related("member", "activity")


class AttemptInspectView(generic.InspectView):
    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not visible_attempts(self.request.user).filter(pk=obj.pk).exists():
            raise Http404
        return obj


class AttemptViewSet(ModelViewSet):
    """Attempts are written only by members answering: the admin reads them."""

    name = "quiz_attempt"
    model = Attempt
    icon = "list-ul"
    menu_label = "答题记录"
    list_display = ["member", "activity", "day", "score", "max_score",
                    Column("finished_at", label="交卷时间")]  # fmt: skip
    list_filter = ["activity", "day"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = True
    # Not ``drawn``: raw JSON of question ids and option orders, of no use to a reader.
    inspect_view_fields = ["member", "activity", "day", "number", "started_at", "deadline",
                           "finished_at", "score", "max_score", "correct_count"]  # fmt: skip

    index_view_class = AttemptIndexView
    inspect_view_class = AttemptInspectView
    permission_policy = ReadOnlyPermissionPolicy(Attempt)
    form_fields = []


class QuizGroup(ViewSetGroup):
    menu_label = "答题"
    menu_icon = "help"
    menu_order = 260
    items = (QuestionViewSet, ActivityViewSet, AttemptViewSet)
