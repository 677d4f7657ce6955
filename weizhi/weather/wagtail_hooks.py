from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from wagtail import hooks


@hooks.register("insert_reader_home_html")
def weather_slot(request: HttpRequest, page: object) -> SafeString:
    """An empty box on the home page that widget.js fills; the cached page holds no weather."""
    return render_to_string("weather/slot.html", request=request)
