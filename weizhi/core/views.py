import ipaddress
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from weizhi.core.health import run_checks

log = logging.getLogger(__name__)


# The shipped nginx sets X-Forwarded-Proto on every request it passes on.
PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_FORWARDED",
)


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def sees_health_details(request: HttpRequest) -> bool:
    """Signed-in staff, or a monitor on this machine. A request that came through a proxy (it
    carries a header a proxy adds) is not local, whatever its REMOTE_ADDR says."""
    if request.user.is_authenticated and request.user.is_staff:
        return True
    forwarded = any(header in request.META for header in PROXY_HEADERS)
    return not forwarded and is_loopback(request.META.get("REMOTE_ADDR", ""))


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = run_checks()
    if not report["ok"]:
        log.warning("health check failed: %s", report)
    # The public learns only up or down: the checks name our backends and their errors.
    shown = report if sees_health_details(request) else {"ok": report["ok"]}
    return JsonResponse(shown, status=200 if report["ok"] else 503)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without a request context: whatever broke must not break this page too.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)
