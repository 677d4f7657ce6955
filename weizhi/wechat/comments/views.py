"""Admin for comments on WeChat articles: the 文章留言 listing and its moderation actions.

The listing is a Wagtail ModelViewSet that only reads: no add, edit or delete form, because a
row may change only through comments.py, after WeChat agreed. Every action is a GET that
shows a confirmation (or the reply form) and a POST with the CSRF token that does it.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from weizhi.wechat.records.models import ArticleComment, WeChatSend

from . import services as comments

VIEW = "wechat_outbound.view_articlecomment"
MODERATE = "wechat_outbound.change_articlecomment"


def may_moderate(user) -> bool:
    return user.is_active and user.has_perm(MODERATE)


class ReadOnlyPolicy(ModelPermissionPolicy):
    """View only: the generic add, edit and delete views are closed to everyone."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return super().user_has_permission(user, action)


class CommentFilterSet(WagtailFilterSet):
    send = django_filters.ModelChoiceFilter(label="文章", queryset=comments.commentable_sends())
    elected = django_filters.BooleanFilter(label="精选")
    has_reply = django_filters.BooleanFilter(label="有作者回复", method="filter_has_reply")
    deleted = django_filters.BooleanFilter(label="已删除")

    class Meta:
        model = ArticleComment
        fields = ["send", "elected", "deleted"]

    def filter_has_reply(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(reply="") if value else queryset.filter(reply="")


ACTIONS = {
    "elect": ("精选", "将这条留言设为精选（读者可见）？", comments.mark_elected),
    "unelect": ("取消精选", "取消这条留言的精选？", comments.unmark_elected),
    "delete_reply": ("删除回复", "删除作者对这条留言的回复？", comments.delete_reply),
    "delete": ("删除留言", "从公众号文章中删除这条留言？此操作不能撤销。", comments.delete_comment),
}


def actions_for(comment: ArticleComment) -> list[str]:
    if comment.deleted:
        return []
    names = ["unelect" if comment.elected else "elect"]
    names.append("delete_reply" if comment.reply else "reply")
    return [*names, "delete"]


class CommentIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("send")

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if not may_moderate(self.request.user):
            return buttons
        for priority, name in enumerate(actions_for(instance), start=1):
            label = "回复" if name == "reply" else ACTIONS[name][0]
            url = reverse("wechat_outbound_comment_action", args=[instance.pk, name])
            buttons.append(MenuItem(label, url=url, icon_name="comment", priority=priority))
        return buttons


class CommentViewSet(ModelViewSet):
    model = ArticleComment
    icon = "comment"
    menu_label = "文章留言"
    name = "article_comments"
    add_to_admin_menu = False
    index_view_class = CommentIndexView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields: list[str] = []  # the edit and add views are closed by ReadOnlyPolicy
    filterset_class = CommentFilterSet
    search_fields = ["content"]
    search_backend_name = None
    list_per_page = 50
    list_display = [
        Column("content", label="留言内容", accessor="content_preview"),
        Column("send", label="文章", accessor="send.page_title"),
        DateColumn("created_at", label="留言时间"),
        BooleanColumn("elected", label="精选"),
        Column("reply", label="作者回复", accessor="reply_preview"),
        BooleanColumn("deleted", label="已删除"),
    ]
    inspect_view_fields = [
        "send",
        "openid",
        "content",
        "created_at",
        "elected",
        "reply",
        "reply_at",
        "deleted",
        "fetched_at",
    ]

    @property
    def permission_policy(self):
        return ReadOnlyPolicy(self.model)


comment_viewset = CommentViewSet()


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="回复内容",
        max_length=comments.REPLY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="回复会显示在公众号文章的留言下方。每条留言只能回复一次。",
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return reverse(comment_viewset.get_url_name("index"))


def comment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if not may_moderate(request.user):
        raise PermissionDenied
    comment = get_object_or_404(ArticleComment.objects.select_related("send"), pk=pk)
    if action not in (*ACTIONS, "reply"):
        raise PermissionDenied
    form = ReplyForm(request.POST or None) if action == "reply" else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if form is not None:
                comments.reply(comment, form.cleaned_data["text"], user=request.user)
            else:
                ACTIONS[action][2](comment, user=request.user)
        except comments.CommentError as exc:
            messages.error(request, exc.message)
        else:
            label = "回复" if action == "reply" else ACTIONS[action][0]
            messages.success(request, f"已{label}，公众号文章中同步生效。")
            return redirect(_back(request))
    context = {
        "comment": comment,
        "action": action,
        "form": form,
        "title": "回复留言" if action == "reply" else ACTIONS[action][0],
        "question": "" if action == "reply" else ACTIONS[action][1],
        "next": _back(request),
    }
    return render(request, "wechat_outbound/comments_action.html", context)


SEND_ACTIONS = {
    "open": ("打开留言", comments.open_comments),
    "close": ("关闭留言", comments.close_comments),
}


def send_comments(request: HttpRequest) -> HttpResponse:
    """The articles whose comments weizhi can manage, with 打开/关闭/拉取 for each."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    sends = list(
        comments.commentable_sends()
        .annotate(comment_count=Count("comments"))
        .order_by("-created_at")[:100]
    )
    states = comments.comment_states(sends)
    rows = []
    for send in sends:
        switch, pull = states.get(send.pk, (None, None))
        label = comments.ACTIONS[switch.action] if switch else ""
        rows.append((send, switch, label, pull))
    context = {
        "rows": rows,
        "may_moderate": may_moderate(request.user),
        "send_actions": [("open", "打开留言"), ("close", "关闭留言"), ("pull", "拉取留言")],
    }
    return render(request, "wechat_outbound/comments_sends.html", context)


def send_comments_action(request: HttpRequest, send_id: int, action: str) -> HttpResponse:
    if request.method != "POST" or not may_moderate(request.user):
        raise PermissionDenied
    send = get_object_or_404(WeChatSend, pk=send_id)
    try:
        if action == "pull":
            comments.queue_pull(send, user=request.user)
            messages.success(request, f"正在拉取《{send.page_title}》的留言，稍后刷新即可看到。")
        elif action in SEND_ACTIONS:
            label, do = SEND_ACTIONS[action]
            do(send, user=request.user)
            messages.success(request, f"已{label}：《{send.page_title}》。")
        else:
            raise PermissionDenied
    except comments.CommentError as exc:
        messages.error(request, exc.message)
    return redirect("wechat_outbound_comment_sends")
