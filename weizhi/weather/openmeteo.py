"""Open-Meteo: the geocoding API turns a city name into coordinates, the forecast API gives
the weather now and daily. Weather is given as WMO codes, turned into Chinese here."""

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

WMO = {
    0: "晴",
    1: "晴间多云",
    2: "多云",
    3: "阴",
    45: "雾",
    48: "冻雾",
    51: "小毛毛雨",
    53: "毛毛雨",
    55: "大毛毛雨",
    56: "冻毛毛雨",
    57: "冻毛毛雨",
    61: "小雨",
    63: "中雨",
    65: "大雨",
    66: "冻雨",
    67: "冻雨",
    71: "小雪",
    73: "中雪",
    75: "大雪",
    77: "米雪",
    80: "阵雨",
    81: "中阵雨",
    82: "强阵雨",
    85: "阵雪",
    86: "强阵雪",
    95: "雷阵雨",
    96: "雷阵雨伴冰雹",
    99: "强雷阵雨伴冰雹",
}
CURRENT = "temperature_2m,relative_humidity_2m,weather_code,wind_speed_10m"
DAILY = "weather_code,temperature_2m_max,temperature_2m_min"


def wmo_text(code: object) -> str:
    return WMO.get(to_int(code), "未知")


class OpenMeteo:
    name = "Open-Meteo"

    def __init__(self, forecast_url: str, geocoding_url: str, *, client: httpx.Client) -> None:
        if not forecast_url or not geocoding_url:
            raise WeatherUnavailable("天气服务尚未配置", "OPEN_METEO_* URLs")
        self.forecast_url = forecast_url
        self.geocoding_url = geocoding_url
        self.client = client

    def _get(self, url: str, params: dict) -> dict:
        data = get_json(self.client, url, params)
        status = data.pop("_http_status")
        if status != 200 or data.get("error"):
            raise WeatherUnavailable(
                "天气服务暂时不可用", f"{url}: HTTP {status} {data.get('reason', '')}"
            )
        return data

    def locate(self, city: str) -> tuple[float, float, str]:
        found = self._get(
            self.geocoding_url, {"name": city, "count": 1, "language": "zh", "format": "json"}
        ).get("results")
        if not found:
            raise PlaceNotFound("没有找到这个地方", f"geocoding: nothing for {city!r}")
        first = found[0]
        return float(first["latitude"]), float(first["longitude"]), str(first.get("name") or city)

    def forecast(self, city: str, days: int = 4) -> Forecast:
        try:
            latitude, longitude, place = self.locate(city)
        except (KeyError, TypeError, ValueError) as error:
            raise WeatherUnavailable("天气服务返回的内容无法识别", repr(error)) from None
        data = self._get(
            self.forecast_url,
            {
                "latitude": latitude,
                "longitude": longitude,
                "current": CURRENT,
                "daily": DAILY,
                "timezone": "Asia/Shanghai",
                "forecast_days": days,
                "wind_speed_unit": "kmh",
            },
        )
        try:
            now, daily = data["current"], data["daily"]
            rows = zip(
                daily["time"],
                daily["weather_code"],
                daily["temperature_2m_min"],
                daily["temperature_2m_max"],
                strict=True,
            )
            return Forecast(
                place=place,
                provider=self.name,
                now_text=wmo_text(now["weather_code"]),
                now_temp=to_int(now["temperature_2m"]),
                humidity=to_int(now["relative_humidity_2m"])
                if now.get("relative_humidity_2m") is not None
                else None,
                wind=f"风速{to_int(now['wind_speed_10m'])}公里/时"
                if now.get("wind_speed_10m") is not None
                else "",
                days=tuple(
                    Day(date.fromisoformat(day), wmo_text(code), to_int(lo), to_int(hi))
                    for day, code, lo, hi in list(rows)[:days]
                ),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise WeatherUnavailable(
                "天气服务返回的内容无法识别", f"open-meteo: {error!r}"
            ) from None
