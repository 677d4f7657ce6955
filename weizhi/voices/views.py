"""The reader side: comments under an article and members' submissions. Thin: parse, check
the limits, call comments.py / submissions.py, render."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from weizhi.audience import identity
from weizhi.audience.views import login_url, member_required
from weizhi.content.models import StoryPage
from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import hit

from . import comments, submissions
from .models import COMMENT_MAX_CHARS, Comment, Submission

log = logging.getLogger(__name__)

# Comments: a few a minute and 30 a day per writer; an address may be a whole office's.
COMMENT_LIMITS = [("writer", 3, 60), ("writer-day", 30, 86400), ("address", 30, 60)]
SUBMISSION_LIMITS = [("member", 5, 3600), ("member-day", 10, 86400), ("address", 30, 3600)]
LIKE_LIMIT = (60, 60)


def _writer(request: HttpRequest) -> comments.Writer | None:
    member = identity.current_member(request)
    follower = identity.current_follower(request)
    if member is None and follower is None:
        return None
    return comments.Writer(member=member, follower=follower if member is None else None)


def _within(request: HttpRequest, scope: str, who: str, limits) -> bool:
    """Every window is counted, so a refused flood still fills all of them."""
    results = [
        hit(f"{scope}-{name}", client_address(request) if name == "address" else who, n, s)
        for name, n, s in limits
    ]
    return all(results)


def _story(page_id: int) -> StoryPage:
    page = StoryPage.objects.published().filter(pk=page_id).first()
    if page is None:
        raise Http404
    return page.specific


def _sign_in(request: HttpRequest, path: str) -> HttpResponse:
    return identity.sign_in_elsewhere(request, path) or HttpResponseRedirect(login_url(path))


def _listing(request: HttpRequest, page: StoryPage, writer: comments.Writer | None) -> dict:
    if writer is None:
        shown = Comment.objects.public().select_related("item")
    else:
        shown = Comment.objects.seen_by(writer.member, writer.follower)
    shown = list(shown.filter(page=page)[:200])
    return {
        "page": page,
        "comments": shown,
        "writer": writer,
        "mine": {c.pk for c in shown if writer is not None and writer.owns(c)},
        "max_chars": COMMENT_MAX_CHARS,
    }


@require_http_methods(["GET", "POST"])
def comment_page(request: HttpRequest, page_id: int) -> HttpResponse:
    page = _story(page_id)
    writer = _writer(request)
    here = reverse("voices:comments", args=[page.pk])
    if request.method == "POST":
        if writer is None:
            return _sign_in(request, here)
        if not _within(request, "comment", writer.key, COMMENT_LIMITS):
            log.info("comment refused by rate limit: writer=%s", writer.key)
            messages.error(request, "留言太频繁了，请稍后再试。")
            return render(
                request, "voices/comments.html", _listing(request, page, writer), status=429
            )
        try:
            comments.post_comment(page, writer, request.POST.get("text", ""))
        except comments.CommentError as error:
            context = _listing(request, page, writer)
            context["text"] = request.POST.get("text", "")[: COMMENT_MAX_CHARS * 2]
            messages.error(request, str(error))
            return render(request, "voices/comments.html", context, status=400)
        messages.success(request, "留言已提交，经精选后对所有人可见；在此之前只有您自己能看到。")
        return redirect(here)
    response = render(request, "voices/comments.html", _listing(request, page, writer))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def comment_list(request: HttpRequest, page_id: int) -> HttpResponse:
    """The comments under a (cached) article page, fetched by voices.js."""
    page = _story(page_id)
    response = render(
        request, "voices/comment_list.html", _listing(request, page, _writer(request))
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def like_comment(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("item"), pk=pk)
    back = reverse("voices:comments", args=[comment.page_id]) + f"#c{comment.pk}"
    writer = _writer(request)
    if writer is None:
        return _sign_in(request, back)
    if not hit("comment-like", writer.key, *LIKE_LIMIT):
        messages.error(request, "操作太频繁，请稍后再试。")
        return redirect(back)
    try:
        comments.like(comment, writer)
    except comments.CommentError as error:
        messages.error(request, str(error))
    return redirect(back)


@require_POST
def delete_comment(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("item"), pk=pk, deleted_at=None)
    writer = _writer(request)
    back = reverse("voices:comments", args=[comment.page_id])
    if writer is None or not writer.owns(comment):
        raise Http404
    comments.delete_by_writer(comment, writer)
    messages.success(request, "留言已删除。")
    return redirect(back)


@member_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, member) -> HttpResponse:
    columns = list(submissions.open_columns())
    context = {"columns": columns, "max_images": submissions.MAX_IMAGES, "form": request.POST}
    if request.method == "POST":
        if not _within(request, "submission", f"m{member.pk}", SUBMISSION_LIMITS):
            messages.error(request, "投稿太频繁了，请稍后再试。")
            return render(request, "voices/submit.html", context, status=429)
        column = next((c for c in columns if str(c.pk) == request.POST.get("column")), None)
        try:
            if column is None:
                raise submissions.SubmissionError("请选择投稿栏目。")
            submissions.submit(
                member,
                column,
                request.POST.get("title", ""),
                request.POST.get("text", ""),
                request.FILES.getlist("images"),
            )
        except submissions.SubmissionError as error:
            messages.error(request, str(error))
            return render(request, "voices/submit.html", context, status=400)
        messages.success(request, "投稿已提交，编辑审核后会在“我的投稿”里告诉您结果。")
        return redirect("voices:my_submissions")
    return render(request, "voices/submit.html", context)


@member_required
@require_GET
def my_submissions(request: HttpRequest, member) -> HttpResponse:
    mine = Submission.objects.filter(member=member).select_related("item", "column", "article")
    rows = [(s, submissions.status_of(s)) for s in mine[:100]]
    return render(request, "voices/my_submissions.html", {"rows": rows})
