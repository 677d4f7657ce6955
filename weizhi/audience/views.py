"""The member pages under /me/: sign in without WeChat, prove who you are, bind the WeChat
account, and "我的". Thin views: forms validate, services change state."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import hit, sign_in_attempt, wait_message

from . import identity, services
from .forms import LoginForm, PhoneForm, ProofForm, SetPasswordForm
from .models import AuditEntry, Member

log = logging.getLogger(__name__)

# Proof of identity is a guessable secret (four digits), so attempts are limited per address
# and per employee number: ten tries from one phone, or at one number, per quarter hour.
PROOF_LIMIT, PROOF_WINDOW = 10, 15 * 60
TOO_MANY = "尝试次数过多，请 15 分钟后再试。"


def reauth_allowed(member: Member) -> bool:
    # Only someone already recognised as this member reaches the check, so count per member:
    # a stolen session cannot walk through the four digits by changing address.
    return hit("audience-reauth", str(member.pk), PROOF_LIMIT, PROOF_WINDOW)


def proof_allowed(request: HttpRequest, scope: str) -> bool:
    number = request.POST.get("employee_number", "").strip()[:20]
    by_address = hit(f"audience-{scope}", client_address(request), PROOF_LIMIT, PROOF_WINDOW)
    by_number = hit(f"audience-{scope}-n", number, PROOF_LIMIT, PROOF_WINDOW)
    return by_address and by_number


def next_path(request: HttpRequest) -> str:
    """The page of this site to go on to after signing in: ?next=, else "我的"."""
    value = request.GET.get("next", "")
    if value.startswith("/") and url_has_allowed_host_and_scheme(value, None):
        return value
    return reverse("audience:me")


def login_url(path: str) -> str:
    url = reverse("audience:login")
    return url if path == reverse("audience:me") else f"{url}?{urlencode({'next': path})}"


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        member = identity.current_member(request)
        if member is None:
            return HttpResponseRedirect(login_url(request.get_full_path()))
        return view(request, member, *args, **kwargs)

    return wrapper


def login(request: HttpRequest) -> HttpResponse:
    """Employee number and password; inside WeChat, WeChat's OAuth first where it can.

    ?with=password keeps the form, for a reader whom OAuth could not sign in.
    """
    go_on = next_path(request)
    if identity.current_member(request) is not None:
        return HttpResponseRedirect(go_on)
    if request.GET.get("with") != "password":
        elsewhere = identity.sign_in_elsewhere(request, go_on)
        if elsewhere is not None:
            return elsewhere
    form = LoginForm(request.POST or None)
    if request.method == "POST":
        number, address = request.POST.get("employee_number", ""), client_address(request)
        attempt = sign_in_attempt("member-login", number, address)
        if attempt.refused:
            log.warning("member sign-in refused: too many failures address=%s", address)
            form.refuse(wait_message(attempt.wait))
            return render(request, "audience/login.html", {"form": form}, status=429)
        if form.is_valid():
            attempt.succeeded()
            identity.login_member(request, form.cleaned_data["member"])
            return HttpResponseRedirect(go_on)
    return render(request, "audience/login.html", {"form": form})


def first_login(request: HttpRequest) -> HttpResponse:
    """First sign-in (or a forgotten password): prove who you are, then choose a password."""
    form = ProofForm(request.POST or None)
    if request.method == "POST":
        if not proof_allowed(request, "proof"):
            form.refuse(TOO_MANY)
            return render(request, "audience/first_login.html", {"form": form}, status=429)
        if form.is_valid():
            identity.remember_proof(request, form.cleaned_data["member"])
            return redirect("audience:set_password")
    return render(request, "audience/first_login.html", {"form": form})


def login_link(request: HttpRequest, token: str) -> HttpResponse:
    member = identity.member_from_link(token)
    if member is None:
        return render(request, "audience/link_invalid.html", status=404)
    identity.remember_proof(request, member)
    return redirect("audience:set_password")


def set_password(request: HttpRequest) -> HttpResponse:
    """After a proof or an administrator's link: choose a password. A signed-in member may
    change theirs too, giving the current one."""
    proved = identity.proved_member(request)
    member = proved or identity.signed_in_member(request)
    if member is None:
        return redirect("audience:first_login")
    form = SetPasswordForm(request.POST or None, member=None if proved else member)
    if request.method == "POST" and not proved and not reauth_allowed(member):
        form.refuse(TOO_MANY)
        return render(
            request, "audience/set_password.html", {"form": form, "member": member}, status=429
        )
    if request.method == "POST" and form.is_valid():
        services.set_member_password(member, form.cleaned_data["password1"])
        identity.login_member(request, member)
        messages.success(request, "密码已设置，以后用工号和密码登录。")
        return redirect("audience:me")
    return render(request, "audience/set_password.html", {"form": form, "member": member})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    identity.sign_out(request)
    # The password form, not WeChat's OAuth, which inside WeChat would sign the reader back in.
    return HttpResponseRedirect(reverse("audience:login") + "?with=password")


@member_required
def me(request: HttpRequest, member: Member) -> HttpResponse:
    follower = identity.current_follower(request)
    history = (
        AuditEntry.objects.filter(
            member=member, action__in=[AuditEntry.Action.BIND, AuditEntry.Action.UNBIND]
        )
        .select_related("follower")
        .order_by("-at")[:20]
    )
    context = {
        "member": member,
        "tags": [t.name for t in member.role_tags.all()],
        "follower": follower,
        "bound_follower": getattr(member, "follower", None),
        "history": history,
        "memberships": member.memberships.select_related("branch").order_by("-started_at"),
    }
    return render(request, "audience/me.html", context)


@member_required
def edit_phone(request: HttpRequest, member: Member) -> HttpResponse:
    form = PhoneForm(request.POST or None, member=member)
    if request.method == "POST" and not reauth_allowed(member):
        form.refuse(TOO_MANY)
        context = {"form": form, "member": member}
        return render(request, "audience/edit_phone.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        services.update_member_phone(member, form.cleaned_data["phone"])
        messages.success(request, "手机号已更新。")
        return redirect("audience:me")
    return render(request, "audience/edit_phone.html", {"form": form, "member": member})
