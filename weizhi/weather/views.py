"""The reader site's weather widget: a fragment our own page script fetches after the page
is shown, so the page itself (cached whole) never waits on a provider.

The fragment comes from the cache when it can. On a miss one request per place asks the
provider (at most WEATHER_TIMEOUT), the others answer 202 "加载中" and the script asks again a
few seconds later. The fetch runs here, not in a task: in embedded mode the cache is each
process's own memory, and a task worker's cache is not the web process's.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from weizhi.weather.providers import Forecast, WeatherUnavailable
from weizhi.weather.services import DAYS, cached_forecast, day_label, forecast_for

log = logging.getLogger(__name__)
FETCH_GUARD_SECONDS = 10


def _held_or_fetched(city: str) -> Forecast | WeatherUnavailable | None:
    held = cached_forecast(city)
    if held is not None:
        return held
    guard = f"weather:fetching:{city}"
    if not cache.add(guard, 1, FETCH_GUARD_SECONDS):
        return None  # another request is asking the provider right now
    try:
        return forecast_for(city)
    except WeatherUnavailable as error:
        return error
    finally:
        cache.delete(guard)


@require_GET
def widget(request: HttpRequest) -> HttpResponse:
    city = settings.WEATHER_DEFAULT_CITY
    held = _held_or_fetched(city)
    context: dict = {"city": city, "pending": held is None}
    if isinstance(held, Forecast):
        today = held.days[0].day if held.days else None
        context["forecast"] = held
        context["days"] = [(day_label(d.day, today), d) for d in held.days[:DAYS]] if today else []
    elif isinstance(held, WeatherUnavailable):
        context["reason"] = held.reason
    response = render(request, "weather/widget.html", context, status=202 if held is None else 200)
    response["Cache-Control"] = "no-store"
    return response
