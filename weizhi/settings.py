"""weizhi settings: one module, read from the environment.

Embedded mode (the default) needs nothing but this checkout: SQLite in WAL mode under
``var/``, a local-memory cache and the database task queue. Setting ``DATABASE_URL`` and
``REDIS_URL`` switches to the scaled mode with the same code.
"""

import os
import re
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from weizhi.env import envbool, envfloat, envint, envlist, envnetworks, envstr
from weizhi.wechat.inbox.subscribe import parse_fields as _reply_template_fields

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
VAR_DIR = Path(envstr("WEIZHI_VAR_DIR") or BASE_DIR / "var" / ("test" if TESTING else ""))
VAR_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = envbool("DEBUG", False)
DATABASE_URL = envstr("DATABASE_URL")
REDIS_URL = envstr("REDIS_URL")
SCALED = bool(DATABASE_URL)


def _secret_key() -> str:
    key = envstr("SECRET_KEY")
    if key:
        return key
    if SCALED and not DEBUG and not TESTING:
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set")
    # Embedded mode: made once and kept beside the database. Granian's workers import this
    # at the same moment on a first start, so the key is written to a file of this process's
    # own and linked into place: the first link wins, and every process reads the winner's.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        mine = VAR_DIR / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(mine, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(50))
            os.link(mine, path)
        except FileExistsError:
            pass
        finally:
            mine.unlink()
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(
            f"{path} is empty: delete it to make a new key, or set SECRET_KEY"
        )
    return key


SECRET_KEY = _secret_key()
# `make run HOST=… PORT=…` passes both; the embedded server listens there, so absolute links
# (share cards, e-mails, the admin's) follow it unless SITE_URL says otherwise.
SERVE_HOST = envstr("HOST", "127.0.0.1")
SERVE_PORT = envint("PORT", 8000, minimum=1)
_LOCAL_NAMES = ["localhost", "127.0.0.1", "[::1]", "testserver"]
_WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 - names to recognise, not to bind
if SERVE_HOST not in _WILDCARDS and SERVE_HOST not in _LOCAL_NAMES:
    _LOCAL_NAMES.append(f"[{SERVE_HOST}]" if ":" in SERVE_HOST else SERVE_HOST)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", _LOCAL_NAMES)
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])


def _site_url() -> str:
    if SCALED:
        return envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    host = "127.0.0.1" if SERVE_HOST in _WILDCARDS else SERVE_HOST
    host = f"[{host}]" if ":" in host else host
    return envstr("SITE_URL", f"http://{host}:{SERVE_PORT}").rstrip("/")


SITE_URL = _site_url()
WAGTAILADMIN_BASE_URL = SITE_URL

INSTALLED_APPS = [
    "weizhi.core",
    "weizhi.content",
    "weizhi.analytics",
    "weizhi.search",
    "weizhi.audience",
    "weizhi.surveys",
    "weizhi.inbox",
    "weizhi.wechat",
    "weizhi.wechat.records",
    "weizhi.screen",
    "weizhi.moderation",
    "weizhi.voices",
    "weizhi.quiz",
    "weizhi.points",
    "weizhi.weather",
    "weizhi.news",
    "weizhi.readaloud",
    "weizhi.notes",
    "django_tasks",
    "django_tasks_db",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "weizhi.core.apps.UsersConfig",  # wagtail.users, with our rule of who grants what
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "weizhi.core.middleware.RequestLogMiddleware",
    # Outside the page cache, which stores pages uncompressed (and their gzip once).
    "weizhi.core.middleware.CompressionMiddleware",
    "weizhi.content.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "weizhi.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "weizhi.core.middleware.RangeRequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "weizhi.urls"
WSGI_APPLICATION = "weizhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "weizhi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "weizhi.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on
                # busy_timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    # Checkpoints run off the write path (weizhi/core/walcheckpoint.py);
                    # a commit runs one only past this many pages of WAL.
                    "PRAGMA wal_autocheckpoint=4000;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA temp_store=MEMORY;"
                    "PRAGMA mmap_size=134217728;"
                    "PRAGMA cache_size=-32000;"
                ),
            },
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"} if envbool("TEST_SQLITE_FILE") else {},
            # Opening a SQLite connection runs six PRAGMAs, and closing the last one forces a
            # WAL checkpoint: keep each thread's connection for the life of the process.
            "CONN_MAX_AGE": None,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "weizhi.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("CACHE_PREFIX", "weizhi"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Django's database sessions, read through SQL compiled once (weizhi/core/sessions.py).
    SESSION_ENGINE = "weizhi.core.sessions"
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "weizhi",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# Tests run tasks inline unless they ask for a real queue.
_TASKS_BACKEND = envstr("TASKS_BACKEND") or (
    "immediate" if TESTING else "rq" if REDIS_URL else "db"
)
if _TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    # Our retrying tasks get RQ retries; workers heartbeat often enough to be seen dead soon.
    RQ = {
        "QUEUE_CLASS": "weizhi.core.rqsupport.RetryingQueue",
        "WORKER_CLASS": "weizhi.core.rqsupport.RQWorker",
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif _TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif _TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be db, rq or immediate, not {_TASKS_BACKEND!r}")
TASKS_BACKEND_NAME = _TASKS_BACKEND
# A task declared with retry=True runs at most this many times (after a crash or an error).
TASK_MAX_ATTEMPTS = envint("TASK_MAX_ATTEMPTS", 3, minimum=1)
# Database-queue workers write a heartbeat this often; a worker silent for
# TASK_WORKER_DEAD_SECONDS is dead and its running tasks are handed on.
TASK_HEARTBEAT_SECONDS = envint("TASK_HEARTBEAT_SECONDS", 5, minimum=1)
TASK_WORKER_DEAD_SECONDS = envint("TASK_WORKER_DEAD_SECONDS", 30, minimum=3)
# Tests only: "name:path" makes the task passing taskqueue.pause_point(name) wait once.
TASK_TEST_PAUSE = envstr("TASK_TEST_PAUSE")
# /healthz "tasks": fewer live workers, an older waiting job, or more jobs failed for good in
# the last hour than these make it fail (503). Tests run tasks at once, with no worker.
HEALTH_MIN_WORKERS = envint(
    "HEALTH_MIN_WORKERS", 0 if _TASKS_BACKEND == "immediate" else 1, minimum=0
)
HEALTH_MAX_QUEUE_AGE_SECONDS = envint("HEALTH_MAX_QUEUE_AGE_SECONDS", 300, minimum=1)
HEALTH_MAX_FAILED_JOBS_HOUR = envint("HEALTH_MAX_FAILED_JOBS_HOUR", 10, minimum=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAIL_USER_TIME_ZONES = ["Asia/Shanghai"]
# Chinese for the admin strings Wagtail ships untranslated; looked up before Wagtail's own.
LOCALE_PATHS = [BASE_DIR / "weizhi" / "locale"]
# Avatars are drawn locally: no request to Gravatar leaves the machine.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "weizhi" / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT") or VAR_DIR / "media")
# In embedded mode the app serves uploaded media itself; behind nginx, nginx does.
SERVE_MEDIA = envbool("SERVE_MEDIA", not SCALED)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING or DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 3600
# The web server reads a request body before a thread takes the request: a client silent for
# this long mid-body gets a 408, and a body over the size limit a 413 (weizhi/core/bodyfirst.py).
REQUEST_BODY_IDLE_SECONDS = envint("REQUEST_BODY_IDLE_SECONDS", 15, minimum=1)
REQUEST_BODY_MAX_MB = envint("REQUEST_BODY_MAX_MB", 100, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Upload limits, refused with a message by the admin's forms (weizhi/content/images.py);
# deploy/nginx.conf's client_max_body_size stays above the largest, so the form answers.
WAGTAILIMAGES_MAX_UPLOAD_SIZE = envint("IMAGE_MAX_UPLOAD_MB", 20, minimum=1) * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = envint("IMAGE_MAX_PIXELS", 50_000_000, minimum=1_000_000)
WAGTAILIMAGES_IMAGE_FORM_BASE = "weizhi.content.images.ImageForm"
# 4096 × 4096 by default: above any rendition we serve, and a long infographic keeps its width.
IMAGE_MAX_RENDITION_PIXELS = envint("IMAGE_MAX_RENDITION_PIXELS", 4096 * 4096, minimum=10_000)
WAGTAILDOCS_MAX_UPLOAD_SIZE = envint("DOCUMENT_MAX_UPLOAD_MB", 50, minimum=1) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "weizhi.core.uploads.CappedTemporaryFileUploadHandler",  # on disk up to the largest limit
]
# Upload forms take one file, except a submission (投稿): up to 9 images and one spare, so
# that a tenth is refused with the form's own message; each file may be that large.
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# Spreadsheet imports (weizhi/core/xlsx.py): what one uploaded file may be and unpack to.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
IMPORT_MAX_UNZIPPED_BYTES = envint("IMPORT_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024, minimum=1024)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 20_000, minimum=1)
IMPORT_MAX_STRINGS = envint("IMPORT_MAX_STRINGS", 200_000, minimum=1)
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "pptx", "mp4", "m4a", "mp3", "webm", "txt"]

WAGTAIL_SITE_NAME = envstr("WEIZHI_SITE_NAME", "微智")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "weizhi.search.backend"}}
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True
WAGTAILADMIN_NOTIFICATION_USE_HTML = False
WAGTAILEMBEDS_FINDERS = []  # no oEmbed provider is reachable from an intranet

# Security defaults; HTTPS deployments set SECURE=1 behind nginx.
SECURE = envbool("SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Strict-Transport-Security on HTTPS answers: a year by default once SECURE is on, 0 sends none.
# Subdomains only by choice, as other hosts of the organisation's domain may not have HTTPS.
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31536000 if SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", False)
# The proxies (nginx) whose X-Forwarded-For / X-Real-IP name the client; from anyone else
# these headers are ignored, as a client can send whatever it likes.
TRUSTED_PROXIES = envnetworks("TRUSTED_PROXIES")

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "weizhi@localhost")

# How long a published page stays in the page cache before it is rendered again; the
# read count shown on a cached page lags by at most this long.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 60, minimum=0)
# How often the scheduler looks for pages whose scheduled publishing time has come.
SCHEDULE_PUBLISH_SECONDS = envint("SCHEDULE_PUBLISH_SECONDS", 30, minimum=1)
# How often followers' new messages are handed to the inbox (留言), in seconds.
WECHAT_INBOX_SECONDS = envint("WECHAT_INBOX_SECONDS", 15, minimum=1)
# How often buffered read counts are written to the database.
COUNTER_FLUSH_SECONDS = envint("COUNTER_FLUSH_SECONDS", 2, minimum=1)
# Raw activity events and daily visitors are kept this long after their day is rolled up.
ANALYTICS_RAW_DAYS = envint("ANALYTICS_RAW_DAYS", 90, minimum=1)
# The 思想动态预警 flag: the rules OR a small model trained on the labelled messages.
INBOX_FLAG_MODEL = envbool("INBOX_FLAG_MODEL", True)
# /healthz answers 503 when a read has waited longer than this to be written to the database.
HEALTH_COUNTER_MAX_AGE_SECONDS = envint("HEALTH_COUNTER_MAX_AGE_SECONDS", 300, minimum=1)
# Tests flush by hand, so that no thread writes behind their back.
COUNTER_BACKGROUND_FLUSH = envbool("COUNTER_BACKGROUND_FLUSH", not TESTING)
# Embedded mode: each web process's journal of reads not yet written, so a crash loses none.
READ_JOURNAL_DIR = VAR_DIR / "reads"

# /healthz answers 503 when the scheduler has not ticked for this long (it ticks every
# second), or never ticked; 0 turns the check off (tests, which run no scheduler).
HEALTH_SCHEDULER_MAX_SECONDS = envint(
    "HEALTH_SCHEDULER_MAX_SECONDS", 0 if TESTING else 120, minimum=0
)
# /metrics (Prometheus text format) is off unless enabled, and then answers only this machine
# (without proxy headers) and the monitoring addresses listed here; 404 to anyone else.
METRICS_ENABLED = envbool("METRICS_ENABLED", False)
METRICS_ALLOW = envnetworks("METRICS_ALLOW")

# The Official Account. Without an AppID, weizhi runs a simulated account (公众号模拟器) whose
# API calls go to the fake WeChat API it serves itself. An administrator can override all
# but the AppSecret in the admin (设置 → 公众号).
WECHAT_APP_ID = envstr("WECHAT_APP_ID")
WECHAT_APP_SECRET = envstr("WECHAT_APP_SECRET")
# 原始ID (gh_…), shown in WeChat's console under 注册信息; followers' messages are sent to it.
WECHAT_ORIGINAL_ID = envstr("WECHAT_ORIGINAL_ID")
WECHAT_TOKEN = envstr("WECHAT_TOKEN")
WECHAT_ENCODING_AES_KEY = envstr("WECHAT_ENCODING_AES_KEY")
WECHAT_PREVIOUS_AES_KEY = envstr("WECHAT_PREVIOUS_AES_KEY")
WECHAT_MESSAGE_MODE = envstr("WECHAT_MESSAGE_MODE")
WECHAT_API_BASE = envstr("WECHAT_API_BASE")
if WECHAT_MESSAGE_MODE not in ("", "plain", "compatible", "safe"):
    raise ImproperlyConfigured("WECHAT_MESSAGE_MODE must be plain, compatible or safe")
for _name in ("WECHAT_ENCODING_AES_KEY", "WECHAT_PREVIOUS_AES_KEY"):
    if globals()[_name] and not re.fullmatch(r"[A-Za-z0-9]{43}", globals()[_name]):
        raise ImproperlyConfigured(f"{_name} must be the 43 letters and digits WeChat shows")
if WECHAT_ORIGINAL_ID and not re.fullmatch(r"gh_[0-9A-Za-z]{12}", WECHAT_ORIGINAL_ID):
    raise ImproperlyConfigured("WECHAT_ORIGINAL_ID must be gh_ and 12 letters or digits")
if WECHAT_APP_ID and not (WECHAT_APP_SECRET and WECHAT_TOKEN):
    raise ImproperlyConfigured("WECHAT_APP_ID needs WECHAT_APP_SECRET and WECHAT_TOKEN too")
# 订阅通知 for the inbox's answers after WeChat's 48 hours: the account's template (none: the
# answer waits on 我的留言) and which template keys carry the title, the answer and the time.
WECHAT_REPLY_TEMPLATE_ID = envstr("WECHAT_REPLY_TEMPLATE_ID")
WECHAT_REPLY_TEMPLATE_FIELDS = envstr(
    "WECHAT_REPLY_TEMPLATE_FIELDS", "thing1:title,thing2:reply,time3:time"
)
try:
    _reply_template_fields(WECHAT_REPLY_TEMPLATE_FIELDS)
except ValueError as _error:
    raise ImproperlyConfigured(f"WECHAT_REPLY_TEMPLATE_FIELDS: {_error}") from None
# Seconds a callback's timestamp may lie from now before it is refused as a replay.
WECHAT_REPLAY_WINDOW = envint("WECHAT_REPLAY_WINDOW", 300, minimum=10)
# Web OAuth (snsapi_base) for the H5 pages: only verified service accounts have it.
WECHAT_OAUTH = envbool("WECHAT_OAUTH", False)
# JS-SDK config at /wechat/oauth/jssdk/config/ (needs the JS安全域名 set in WeChat's console).
WECHAT_JSSDK = envbool("WECHAT_JSSDK", False)
# The codes of WeChat's domain check files (MP_verify_<code>.txt) to serve at the site root,
# comma-separated; WeChat asks for one when 网页授权域名 or JS接口安全域名 is set.
WECHAT_VERIFY_CODES = envlist("WECHAT_VERIFY_CODES", [])

# Weather (天气预报): "qweather" (和风天气: the account's own API host and a key or a JWT) or
# "open-meteo"; empty means not configured, and the widget and answers say so politely.
WEATHER_PROVIDER = envstr("WEATHER_PROVIDER")
if WEATHER_PROVIDER not in ("", "qweather", "open-meteo"):
    raise ImproperlyConfigured("WEATHER_PROVIDER must be qweather or open-meteo")
# The organisation's city: a name (城市名) or a QWeather location id (101010100).
WEATHER_DEFAULT_CITY = envstr("WEATHER_DEFAULT_CITY", "北京")
WEATHER_TIMEOUT = envfloat("WEATHER_TIMEOUT", 3.0, minimum=0.1, maximum=30.0)
WEATHER_CACHE_SECONDS = envint("WEATHER_CACHE_SECONDS", 1800, minimum=1)
QWEATHER_API_HOST = envstr("QWEATHER_API_HOST")
QWEATHER_API_KEY = envstr("QWEATHER_API_KEY")
QWEATHER_JWT = envstr("QWEATHER_JWT")
OPEN_METEO_FORECAST_URL = envstr(
    "OPEN_METEO_FORECAST_URL", "https://api.open-meteo.com/v1/forecast"
)
OPEN_METEO_GEOCODING_URL = envstr(
    "OPEN_METEO_GEOCODING_URL", "https://geocoding-api.open-meteo.com/v1/search"
)
# Party news (党建资讯): how often the registered feeds are fetched, and the limits on what
# is read from another site (a feed, a page to repost, each picture in it).
NEWS_FETCH_SECONDS = envint("NEWS_FETCH_SECONDS", 1800, minimum=60)
NEWS_HTTP_TIMEOUT = envfloat("NEWS_HTTP_TIMEOUT", 10.0, minimum=0.5, maximum=60.0)
NEWS_FEED_MAX_BYTES = envint("NEWS_FEED_MAX_BYTES", 2_000_000, minimum=1000)
NEWS_PAGE_MAX_BYTES = envint("NEWS_PAGE_MAX_BYTES", 3_000_000, minimum=1000)
NEWS_IMAGE_MAX_BYTES = envint("NEWS_IMAGE_MAX_BYTES", 5_000_000, minimum=1000)
NEWS_IMAGES_PER_REPOST = envint("NEWS_IMAGES_PER_REPOST", 10, minimum=0)
# Where the feed items are listed and reposts are drafted (a column's slug).
NEWS_COLUMN_SLUG = envstr("NEWS_COLUMN_SLUG", "dangjian")
# Reading addresses on this machine or the private network (the site's own address aside):
# off, so that a pasted link cannot reach the intranet; tests and an intranet source turn it on.
NEWS_ALLOW_PRIVATE_ADDRESSES = envbool("NEWS_ALLOW_PRIVATE_ADDRESSES", False)
# The demo feeds and pages under /news/demo/ (for a fresh install; off in production).
NEWS_DEMO_FEEDS = envbool("NEWS_DEMO_FEEDS", True)

LOG_LEVEL = envstr("LOG_LEVEL", "INFO").upper()
# "json": one JSON object per line (time, level, logger, rid, message, the access fields).
LOG_FORMAT = envstr("LOG_FORMAT", "line").lower()
if LOG_FORMAT not in ("line", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be line or json, not {LOG_FORMAT!r}")
# The share of successful answers that get an access line; errors and slow answers always do.
ACCESS_LOG_SAMPLE = envfloat("ACCESS_LOG_SAMPLE", 1.0, minimum=0.0, maximum=1.0)
ACCESS_LOG_SLOW_MS = envint("ACCESS_LOG_SLOW_MS", 1000, minimum=0)
TASKS_LOG_LEVEL = envstr("TASKS_LOG_LEVEL", "WARNING").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request": {"()": "weizhi.core.logging.RequestContextFilter"},
        "tasks": {"()": "weizhi.core.logging.TaskLevelFilter", "level": TASKS_LOG_LEVEL},
    },
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s rid=%(request_id)s %(message)s",
        },
        "json": {"()": "weizhi.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request", "tasks"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "weizhi.access": {"level": envstr("ACCESS_LOG_LEVEL", "INFO").upper()},
        # Periodic jobs run every few seconds; only their failures are news. The worker
        # commands set these loggers to INFO when they start, so the console's "tasks" filter
        # holds every task logger to TASKS_LOG_LEVEL whatever level it was given.
        "django_tasks": {"level": TASKS_LOG_LEVEL},
        "rq.worker": {"level": TASKS_LOG_LEVEL},
        # httpx logs every request at INFO; our client logs one line per WeChat call.
        "httpx": {"level": "WARNING"},
    },
}
# WeChat's own statistics (datacube): how many past days the daily pull fills in when missing.
WECHAT_STATS_BACKFILL_DAYS = envint("WECHAT_STATS_BACKFILL_DAYS", 7, minimum=1)
