import json


def test_healthz_reports_database_cache_and_tasks(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["ok"] is True
    assert report["database"]["ok"] and report["cache"]["ok"] and report["tasks"]["ok"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_answers_503_when_the_cache_is_unreachable(client, db, settings):
    # A real Redis client pointed at a port where nothing listens.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    report = json.loads(response.content)
    assert report["ok"] is False
    assert report["cache"]["ok"] is False
    assert "ConnectionError" in report["cache"]["error"]
    assert report["database"]["ok"] is True


def test_every_response_carries_a_request_id(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
    assert len(client.get("/healthz")["X-Request-ID"]) == 16
