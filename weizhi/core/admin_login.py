"""Wagtail's admin sign-in under the sign-in limit (weizhi/core/ratelimit.py): failures are
counted per username and address with a back-off, and per address across usernames."""

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from wagtail.admin.views.account import LoginView

from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import Attempt, sign_in_attempt, wait_message

log = logging.getLogger(__name__)


class LimitedLoginView(LoginView):
    attempt: Attempt | None = None

    def get_form(self, form_class=None):
        return labelled(super().get_form(form_class))

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        address = client_address(request)
        self.attempt = sign_in_attempt("admin-login", username, address)
        if not self.attempt.refused:
            return super().post(request, *args, **kwargs)
        log.warning("admin sign-in refused: too many failures address=%s", address)
        # The password is not checked at all: a refused attempt must not tell whether it
        # was right. The form comes back empty but for the username, with the wait.
        messages.error(request, wait_message(self.attempt.wait))
        form = labelled(self.get_form_class()(request, initial={"username": username[:150]}))
        return self.render_to_response(self.get_context_data(form=form), status=429)

    def form_valid(self, form) -> HttpResponse:
        if self.attempt is not None:
            self.attempt.succeeded()
        return super().form_valid(form)


def labelled(form):
    # Wagtail's sign-in form gives the password no label, so Django shows the field name,
    # and builds the username's placeholder with a space before the field's name.
    form.fields["password"].label = "密码"
    form.fields["username"].widget.attrs["placeholder"] = "输入用户名"
    return form
