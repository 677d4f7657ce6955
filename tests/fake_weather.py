"""Local fakes of QWeather's and Open-Meteo's APIs over real HTTP on 127.0.0.1.

They answer as the providers' documentation shows: QWeather's GeoAPI city lookup and v7
now / 3d / 7d (with v1 `code` errors in a 200 answer and v2 HTTP errors with an `error`
object), Open-Meteo's geocoding search and forecast (with its `{"error": true, "reason"}`).
A test sets `mode` to make the next answers fail: "down" (HTTP 500 with an HTML page),
"slow" (answer after `delay` seconds), "denied" (the account's key refused), "garbage".
"""

import json
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

QW_KEY = "qweather-test-key"
QW_JWT = "eyJhbGciOiJFZERTQSJ9.test.jwt"
CITIES = {
    "北京": {"id": "101010100", "lat": "39.90499", "lon": "116.40529", "adm1": "北京市"},
    "太原": {"id": "101100101", "lat": "37.87059", "lon": "112.54925", "adm1": "山西省"},
}


class FakeWeather:
    def __init__(self) -> None:
        self.mode = ""
        self.delay = 5.0
        self.requests: list[tuple[str, dict, dict]] = []
        self.today = date.today()

    # QWeather
    def qweather(self, path: str, query: dict, headers: dict) -> tuple[int, object]:
        authorised = headers.get("x-qw-api-key") == QW_KEY or (
            headers.get("authorization") == f"Bearer {QW_JWT}"
        )
        if self.mode == "denied-v1":
            return 200, {"code": "401"}
        if not authorised or self.mode == "denied":
            return 401, {
                "error": {
                    "status": 401,
                    "type": "https://dev.qweather.com/docs/resource/error-code/#unauthorized",
                    "title": "Unauthorized",
                    "detail": "Authentication failed, check your KEY or JWT.",
                }
            }
        if self.mode == "quota-v1":
            return 200, {"code": "402"}
        location = query.get("location", "")
        if path == "/geo/v2/city/lookup":
            city = CITIES.get(location)
            if city is None:
                return 200, {"code": "404"}
            found = {"name": location, "country": "中国", "adm2": location, **city}
            return 200, {"code": "200", "location": [found], "refer": {"sources": ["QWeather"]}}
        if location not in {c["id"] for c in CITIES.values()}:
            return 400, {
                "error": {
                    "status": 400,
                    "type": "https://dev.qweather.com/docs/resource/error-code/#no-such-location",
                    "title": "No Such Location",
                    "detail": "The location could not be found.",
                }
            }
        if path == "/v7/weather/now":
            return 200, {
                "code": "200",
                "updateTime": "2026-12-05T22:00+08:00",
                "fxLink": "https://www.qweather.com/weather/beijing-101010100.html",
                "now": {
                    "obsTime": "2026-12-05T21:50+08:00",
                    "temp": "-2",
                    "feelsLike": "-6",
                    "icon": "150",
                    "text": "晴",
                    "wind360": "315",
                    "windDir": "西北风",
                    "windScale": "3",
                    "windSpeed": "15",
                    "humidity": "21",
                    "precip": "0.0",
                    "pressure": "1030",
                    "vis": "30",
                    "cloud": "0",
                    "dew": "-20",
                },
                "refer": {"sources": ["QWeather"], "license": ["QWeather Developers License"]},
            }
        if path in ("/v7/weather/3d", "/v7/weather/7d"):
            count = 3 if path.endswith("3d") else 7
            texts = [("晴", "晴"), ("多云", "晴"), ("小雪", "阴"), ("阴", "阴"), ("晴", "多云")]
            return 200, {
                "code": "200",
                "updateTime": "2026-12-05T18:00+08:00",
                "daily": [
                    {
                        "fxDate": (self.today + timedelta(days=i)).isoformat(),
                        "sunrise": "07:20",
                        "sunset": "16:50",
                        "tempMax": str(3 - i),
                        "tempMin": str(-8 - i),
                        "iconDay": "100",
                        "textDay": texts[i % 5][0],
                        "iconNight": "150",
                        "textNight": texts[i % 5][1],
                        "windDirDay": "西北风",
                        "windScaleDay": "1-3",
                        "humidity": "30",
                        "precip": "0.0",
                        "uvIndex": "2",
                    }
                    for i in range(count)
                ],
                "refer": {"sources": ["QWeather"]},
            }
        return 404, {"error": {"status": 404, "type": "not-found", "title": "Not Found"}}

    # Open-Meteo
    def open_meteo(self, path: str, query: dict) -> tuple[int, object]:
        if path == "/v1/search":
            city = CITIES.get(query.get("name", ""))
            if city is None:
                return 200, {"generationtime_ms": 0.4}
            return 200, {
                "results": [
                    {
                        "id": 1816670,
                        "name": query["name"],
                        "latitude": float(city["lat"]),
                        "longitude": float(city["lon"]),
                        "country": "中国",
                        "admin1": city["adm1"],
                        "timezone": "Asia/Shanghai",
                    }
                ],
                "generationtime_ms": 0.7,
            }
        if path == "/v1/forecast":
            for name in ("latitude", "longitude", "current", "daily"):
                if name not in query:
                    return 400, {"error": True, "reason": f"Parameter '{name}' is missing"}
            days = int(query.get("forecast_days", 7))
            return 200, {
                "latitude": float(query["latitude"]),
                "longitude": float(query["longitude"]),
                "timezone": "Asia/Shanghai",
                "current_units": {"temperature_2m": "°C", "relative_humidity_2m": "%"},
                "current": {
                    "time": f"{self.today.isoformat()}T21:45",
                    "interval": 900,
                    "temperature_2m": 1.6,
                    "relative_humidity_2m": 45,
                    "weather_code": 3,
                    "wind_speed_10m": 11.2,
                },
                "daily_units": {"temperature_2m_max": "°C"},
                "daily": {
                    "time": [(self.today + timedelta(days=i)).isoformat() for i in range(days)],
                    "weather_code": [3, 61, 71, 0, 2, 45, 95][:days],
                    "temperature_2m_max": [5.4, 3.1, 0.2, 4.9, 6.0, 7.1, 8.2][:days],
                    "temperature_2m_min": [-3.2, -1.0, -5.6, -6.4, -2.0, 0.0, 1.0][:days],
                },
            }
        return 404, {"error": True, "reason": "Not Found"}


def serve(fake: FakeWeather) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.requests.append((parts.path, query, headers))
            if fake.mode == "slow":
                time.sleep(fake.delay)
            if fake.mode == "down":
                self._send(500, b"<html><body>502 Bad Gateway</body></html>", "text/html")
                return
            if fake.mode == "garbage":
                self._send(200, b'{"code": "200", "now": {"temp": "warm"}', "application/json")
                return
            if parts.path.startswith("/qw"):
                status, body = fake.qweather(parts.path[3:], query, headers)
            else:
                status, body = fake.open_meteo(parts.path[3:], query)
            self._send(status, json.dumps(body, ensure_ascii=False).encode(), "application/json")

        def _send(self, status: int, body: bytes, kind: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
