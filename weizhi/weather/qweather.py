"""和风天气 (QWeather): city lookup (GeoAPI v2) and the v7 now and daily forecasts.

Every account has its own API host; it authenticates with an API key (X-QW-Api-Key) or a
JWT (Authorization: Bearer). QWeather answers errors two ways while it migrates: v1 puts a
`code` other than "200" in a 200 answer, v2 answers an HTTP error status with an `error`
object. Both become WeatherUnavailable (or PlaceNotFound) here.
"""

import logging
from datetime import date

import httpx

from weizhi.weather.providers import (
    Day,
    Forecast,
    PlaceNotFound,
    WeatherUnavailable,
    get_json,
    to_int,
)

log = logging.getLogger(__name__)

# v1 codes: https://dev.qweather.com/docs/resource/error-code/ (204: no data for the place).
NOT_FOUND_CODES = {"204", "404"}
V2_NOT_FOUND = "no-such-location"


class QWeather:
    name = "和风天气"

    def __init__(self, host: str, *, key: str = "", jwt: str = "", client: httpx.Client) -> None:
        if not host or not (key or jwt):
            raise WeatherUnavailable("天气服务尚未配置", "QWEATHER_API_HOST and a key or JWT")
        self.base = host.rstrip("/") if "://" in host else f"https://{host.rstrip('/')}"
        self.headers = {"Authorization": f"Bearer {jwt}"} if jwt else {"X-QW-Api-Key": key}
        self.client = client

    def _get(self, path: str, **params: str) -> dict:
        data = get_json(self.client, self.base + path, {**params, "lang": "zh"}, self.headers)
        status = data.pop("_http_status")
        error = data.get("error")
        if isinstance(error, dict) or status != 200:
            kind = str((error or {}).get("type", "")) if isinstance(error, dict) else ""
            detail = f"{path}: HTTP {status} {error!r}"
            if V2_NOT_FOUND in kind:
                raise PlaceNotFound("没有找到这个地方", detail)
            raise WeatherUnavailable(_reason(status), detail)
        code = str(data.get("code", ""))
        if code != "200":
            detail = f"{path}: code {code}"
            if code in NOT_FOUND_CODES:
                raise PlaceNotFound("没有找到这个地方", detail)
            raise WeatherUnavailable(_reason(int(code) if code.isdigit() else 500), detail)
        return data

    def locate(self, city: str) -> tuple[str, str]:
        """(location id, name) of a city name; a location id is taken as it is."""
        if city.isdigit():
            return city, city
        found = self._get("/geo/v2/city/lookup", location=city, number="1").get("location")
        if not found or not isinstance(found, list):
            raise PlaceNotFound("没有找到这个地方", f"city lookup: nothing for {city!r}")
        first = found[0]
        return str(first["id"]), str(first.get("name") or city)

    def forecast(self, city: str, days: int = 4) -> Forecast:
        location, place = self.locate(city)
        now = self._get("/v7/weather/now", location=location).get("now") or {}
        daily = self._get(f"/v7/weather/{'3d' if days <= 3 else '7d'}", location=location)
        try:
            return Forecast(
                place=place,
                provider=self.name,
                now_text=str(now["text"]),
                now_temp=to_int(now["temp"]),
                humidity=to_int(now["humidity"]) if now.get("humidity") else None,
                wind=_wind(now),
                days=tuple(
                    Day(
                        day=date.fromisoformat(d["fxDate"]),
                        text=_day_text(d["textDay"], d.get("textNight", "")),
                        low=to_int(d["tempMin"]),
                        high=to_int(d["tempMax"]),
                    )
                    for d in daily.get("daily", [])[:days]
                ),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise WeatherUnavailable("天气服务返回的内容无法识别", f"qweather: {error!r}") from None


def _wind(now: dict) -> str:
    direction, scale = str(now.get("windDir", "")), str(now.get("windScale", ""))
    return f"{direction}{scale}级" if scale else direction


def _day_text(day: str, night: str) -> str:
    return day if not night or night == day else f"{day}转{night}"


def _reason(status: int) -> str:
    if status in (401, 403):
        return "天气服务的账号设置有误"
    if status in (402, 429):
        return "天气服务今天的查询次数已用完"
    return "天气服务暂时不可用"
