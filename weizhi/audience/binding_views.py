"""Binding the WeChat account of this session (its follower) to a roster member."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import identity, services
from .forms import BindingRequestForm, ProofForm
from .models import Member
from .views import TOO_MANY, proof_allowed


def _no_follower(request: HttpRequest) -> HttpResponse:
    return render(request, "audience/no_follower.html", status=403)


def bind(request: HttpRequest) -> HttpResponse:
    follower = identity.current_follower(request)
    if follower is None:
        return identity.sign_in_elsewhere(request, request.path) or _no_follower(request)
    form = ProofForm(request.POST or None)
    if request.method == "POST":
        if not proof_allowed(request, "bind"):
            form.refuse(TOO_MANY)
            return render(request, "audience/bind.html", {"form": form}, status=429)
        if form.is_valid():
            member = form.cleaned_data["member"]
            services.bind_follower(follower, member, by_member=member, how="proof")
            messages.success(request, f"绑定成功，欢迎你，{member.name}。")
            return redirect("audience:me")
    return render(request, "audience/bind.html", {"form": form, "follower": follower})


def request_binding(request: HttpRequest) -> HttpResponse:
    """For members whose roster phone is wrong or missing: an administrator decides."""
    follower = identity.current_follower(request)
    if follower is None:
        return _no_follower(request)
    form = BindingRequestForm(request.POST or None)
    if request.method == "POST":
        if not proof_allowed(request, "request"):
            form.add_error(None, TOO_MANY)
            return render(request, "audience/request_binding.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            member = (
                Member.objects.active()
                .filter(employee_number=data["employee_number"].strip(), name=data["name"].strip())
                .first()
            )
            if member is None:
                form.add_error(None, "名册中没有这个工号和姓名，请核对，或联系所在支部。")
            else:
                services.request_binding(follower, member, data["note"])
                return render(request, "audience/request_sent.html", {"member": member})
    return render(request, "audience/request_binding.html", {"form": form})


@require_POST
def unbind(request: HttpRequest) -> HttpResponse:
    follower = identity.current_follower(request)
    member = identity.current_member(request)
    if follower is None or member is None or follower.member_id != member.pk:
        messages.error(request, "当前微信没有绑定你的名册信息。")
        return redirect("audience:me" if member else "audience:login")
    services.unbind_follower(follower, by_member=member, reason="self")
    messages.success(request, "已解除绑定。")
    return redirect("audience:me" if identity.signed_in_member(request) else "audience:bind")


@require_POST
def bind_signed_in(request: HttpRequest) -> HttpResponse:
    """A member signed in with their password binds this WeChat account in one tap: the
    password was the proof."""
    follower = identity.current_follower(request)
    member = identity.signed_in_member(request)
    if follower is None or member is None:
        return redirect("audience:me")
    services.bind_follower(follower, member, by_member=member, how="password")
    messages.success(request, "已绑定当前微信。")
    return redirect("audience:me")
