"""The editors' screens: the items read from the feeds, each with 转载, a box to paste any
article's address, and a button to fetch the feeds now."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from weizhi.content.listing import paginate
from weizhi.core import ratelimit
from weizhi.news.models import FeedItem
from weizhi.news.services import RepostError, news_column, repost
from weizhi.news.tasks import fetch_feeds

REPOSTS_PER_MINUTE = 20


class RepostForm(forms.Form):
    url = forms.URLField(
        label="文章网址",
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "粘贴要转载的文章网址"}),
        error_messages={"invalid": "请输入完整的网址，以 http:// 或 https:// 开头。"},
    )


@permission_required("news.view_feeditem", raise_exception=True)
def items_view(request: HttpRequest) -> HttpResponse:
    items = FeedItem.objects.listed().select_related("repost").newest_first()
    return TemplateResponse(
        request,
        "news/admin/items.html",
        {
            "items": paginate(items, request, per_page=30),
            "form": RepostForm(),
            "column": news_column(),
        },
    )


@require_POST
@permission_required("news.view_feeditem", raise_exception=True)
def repost_view(request: HttpRequest) -> HttpResponse:
    item = None
    if request.POST.get("item"):
        item = get_object_or_404(FeedItem.objects.select_related("feed"), pk=request.POST["item"])
        url = item.link
    else:
        form = RepostForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors.get("url", ["网址有误。"])))
            return redirect("news_items")
        url = form.cleaned_data["url"]
    if not ratelimit.hit("news-repost", str(request.user.pk), REPOSTS_PER_MINUTE, 60):
        messages.error(request, "转载太频繁，请稍等一分钟再试。")
        return redirect("news_items")
    try:
        result = repost(url, request.user, item)
    except PermissionDenied:
        messages.error(request, "您没有在“党建资讯”栏目中新建稿件的权限。")
        return redirect("news_items")
    except RepostError as error:
        messages.error(request, f"转载失败：{error.reason}。")
        return redirect("news_items")
    page = result.page
    if not result.created:
        messages.warning(request, f"这篇文章已经转载过：《{page.title}》，已为您打开。")
    else:
        note = f"，{result.images_skipped} 张图片未能下载" if result.images_skipped else ""
        messages.success(
            request,
            f"已生成转载草稿《{page.title}》（图片 {result.images} 张{note}）。"
            "请核对来源和正文后提交审核。",
        )
    return redirect(reverse("wagtailadmin_pages:edit", args=[page.pk]))


@require_POST
@permission_required("news.change_feed", raise_exception=True)
def fetch_now_view(request: HttpRequest) -> HttpResponse:
    fetch_feeds.enqueue()
    messages.success(request, "已开始抓取全部启用的资讯来源，稍后刷新本页查看。")
    return redirect("news_items")
