import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from prometheus_client.exposition import choose_encoder

from weizhi.core.health import log_failures, run_checks
from weizhi.core.metrics import REGISTRY

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# The shipped nginx sets X-Forwarded-Proto on every request it passes on.
PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_FORWARDED",
)


def direct_address(request: HttpRequest) -> IPAddress | None:
    """The peer's address when it asked us directly. A request that came through a proxy (it
    carries a header a proxy adds) gives the proxy's address, which says nothing of the client."""
    if any(header in request.META for header in PROXY_HEADERS):
        return None
    try:
        ip = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip


def sees_health_details(request: HttpRequest) -> bool:
    """Signed-in staff, or a monitor on this machine."""
    if request.user.is_authenticated and request.user.is_staff:
        return True
    address = direct_address(request)
    return address is not None and address.is_loopback


def may_scrape_metrics(request: HttpRequest) -> bool:
    """A monitor on this machine or at an address in METRICS_ALLOW, asking directly."""
    address = direct_address(request)
    if address is None:
        return False
    return address.is_loopback or any(address in net for net in settings.METRICS_ALLOW)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = run_checks()
    log_failures(report)
    # The public learns only up or down: the checks name our backends and their errors.
    shown = report if sees_health_details(request) else {"ok": report["ok"]}
    response = JsonResponse(shown, status=200 if report["ok"] else 503)
    # log_failures said it, once a minute: Django would log an error for every 503 (its
    # log_response skips a response marked as logged).
    response._has_been_logged = True
    return response


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    # Off, or not a monitor of ours: as if there were no such page.
    if not settings.METRICS_ENABLED or not may_scrape_metrics(request):
        raise Http404
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(REGISTRY), content_type=content_type)


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


def site_icon(request: HttpRequest, name: str) -> HttpResponse:
    """/favicon.ico and /apple-touch-icon.png, which browsers and WeChat ask the root for,
    point at the static files (hashed names, cached for long)."""
    return HttpResponseRedirect(static(f"weizhi/{name}"))
