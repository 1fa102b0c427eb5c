"""Open Subsidie settings: one module, every value read from the environment.

Every variable is documented in docs/deployment.md. Without any of them the
embedded default runs: SQLite, tasks eagerly in-process, e-mail to the console.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
DEVELOPMENT_SECRET_KEY = "django-insecure-open-subsidie-development-only"
SECRET_KEY = env("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
if not DEBUG:
    # Production refuses to start on what would be a way in: a secret everyone can read in this
    # repository, or no list of the host names it answers to.
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to a long random secret when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the host names this service answers to when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Where people reach the service, for the links in e-mail (a letter or a message is linked there, never attached):
# SITE_URL, or https:// and the first host name of ALLOWED_HOSTS without a wildcard; make run passes its own.
_SITE_HOST = next((h for h in ALLOWED_HOSTS if not h.startswith((".", "*"))), "")
SITE_URL = env(
    "SITE_URL", "http://127.0.0.1:8000" if DEBUG else (f"https://{_SITE_HOST}" if _SITE_HOST else "")
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",  # API tokens stored hashed, with an expiry (manage.py create_api_token)
    # Two-factor authentication (TOTP and recovery codes) for every staff role: config/signin.py.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
    "formtools",
    "axes",  # lockout after failed logins, on the login page and the admin
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "schemes",
    "applications",
    "reporting",
    "identity",  # eHerkenning and staff single sign-on over OpenID Connect (mozilla-django-oidc)
    "demo",
]

MIDDLEWARE = [
    # django-prometheus counts every request and response: first and last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request id on the response and on every log record of the request.
    "ops.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.bad_input.RefuseNulCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.user.is_verified(): signed in with the second factor too (django-otp)
    "django_otp.middleware.OTPMiddleware",
    # the login's means, level of assurance and representation on request.user (identity/sessions.py)
    "identity.sessions.SignInMiddleware",
    # staff: the second factor required, and signed out after STAFF_IDLE_TIMEOUT_MINUTES without a request
    "config.signin.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # django-axes answers a locked-out login with its lockout page: last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy: scripts and everything else from our own origin only, no inline script at all
# (the pages have none; Swagger UI and ReDoc come from drf-spectacular-sidecar's static files, with their
# configuration in a script file too). Inline style attributes remain (the charts' bars and the report's
# print styles), a far smaller risk than script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        # A persistent connection is checked before a request reuses it: one the server
        # terminated (a restart, a failover, pg_terminate_backend) is replaced, not a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for the lock instead of failing at once; the embedded default
    # runs tasks in-process, so two writers can meet.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "applications.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes comes first whatever the list: it refuses a locked-out username before any backend checks a
# password. Then the password, and eHerkenning and staff single sign-on over OpenID Connect (identity/oidc.py:
# the providers are configured in the admin, "Identiteitsproviders").
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    *env_list("AUTHENTICATION_BACKENDS", "django.contrib.auth.backends.ModelBackend,identity.oidc.ProviderBackend"),
]
# A small OpenID provider at /dev-idp/ playing the eHerkenning broker and the staff IdP (identity/devprovider.py):
# on with DEBUG (make run) and in the tests, never in production — it signs anyone in as anyone.
DEV_IDENTITY_PROVIDER = env_bool("DEV_IDENTITY_PROVIDER", DEBUG)
# The OIDC client does not follow a redirect to another host than the provider's own pages allow.
OIDC_REDIRECT_REQUIRE_HTTPS = not DEBUG
LOGIN_URL = "login"

# The cache holds the API's throttle counts: with CACHE_URL (redis://…, a database of its own, not the
# broker's) they count across every app server; without, per process.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("CACHE_URL")}
    if env("CACHE_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Ways in (docs/security.md). django-axes: after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked out for AXES_COOLOFF_MINUTES (the login page and the admin's both);
# a right password does not help while locked. Counted in the database, so across every app server.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = int(env("AXES_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_CALLABLE = "config.signin.username_of_attempt"
# The client's address: REMOTE_ADDR, or behind our proxy (BEHIND_PROXY) the last X-Forwarded-For entry.
AXES_CLIENT_IP_CALLABLE = "config.signin.client_address"
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
# Staff (every role but applicant and intermediary) sign in with a second factor (TOTP, with recovery codes),
# set up at their first sign-in; their sessions end after this long without a request.
STAFF_IDLE_TIMEOUT_MINUTES = int(env("STAFF_IDLE_TIMEOUT_MINUTES", "15"))
# Every session ends after this long without a request (applicants) and this long after the login (everyone),
# whatever the activity: a login through eHerkenning or single sign-on is good for one working day at most.
APPLICANT_IDLE_TIMEOUT_MINUTES = int(env("APPLICANT_IDLE_TIMEOUT_MINUTES", "60"))
STAFF_SESSION_MAX_HOURS = float(env("STAFF_SESSION_MAX_HOURS", "10"))
APPLICANT_SESSION_MAX_HOURS = float(env("APPLICANT_SESSION_MAX_HOURS", "8"))
TWO_FACTOR_LOGIN_TIMEOUT = 600  # seconds between the password and the code
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Open Subsidie")
# API tokens: stored as a SHA-512 digest, shown once when made, valid API_TOKEN_DAYS unless said otherwise.
REST_KNOX = {"TOKEN_TTL": datetime.timedelta(days=int(env("API_TOKEN_DAYS", "90"))), "AUTO_REFRESH": False}
LOGIN_REDIRECT_URL = "start-page"  # config/start.py: each role to its own start page
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
_RVO_CSS = BASE_DIR / "node_modules" / "@nl-rvo" / "component-library-css" / "dist"
if _RVO_CSS.exists():
    STATICFILES_DIRS.append(("rvo", _RVO_CSS))
_HTMX = BASE_DIR / "node_modules" / "htmx.org" / "dist"
if _HTMX.exists():
    STATICFILES_DIRS.append(("htmx", _HTMX))
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: real SMTP in production; the console with DEBUG (make run). A send that hangs
# holds a worker, so the timeout is short: the outbox tries again later.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS (STARTTLS, port 587) and EMAIL_USE_SSL (port 465): set one, not both")
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Open Subsidie <noreply@opensubsidie.example>")
# For django.core.mail.backends.filebased.EmailBackend (the fault tests count the e-mails sent there).
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH") or None

# Celery: Redis when REDIS_URL is set, otherwise tasks run eagerly in-process.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
# A request never waits on the broker: tasks keep no result (nothing subscribes to a result backend
# on publish), connecting and publishing give up well under a second without retrying, and a failed
# publish is logged; the outbox sweep delivers what the prompt would have (applications.tasks).
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = float(env("CELERY_BROKER_CONNECTION_TIMEOUT", "0.5"))
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": float(env("CELERY_BROKER_SOCKET_TIMEOUT", "2")),
    "max_retries": 0,
    # A message a worker took but never acknowledged (the worker was killed) is handed out again after
    # this long; it must exceed the longest task (a report PDF). The outbox sweep re-delivers sooner.
    "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "900")),
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers that can die: acknowledged after the work, requeued when the worker is lost, one at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "daily-clocks": {
        "task": "applications.tasks.run_clocks",
        "schedule": crontab(hour=6, minute=0),
    },
    # after midnight: the reports' figures of the day that ended (reporting.queries.snapshots)
    "report-snapshots": {
        "task": "reporting.tasks.take_snapshots",
        "schedule": crontab(hour=0, minute=30),
    },
    "outbox-sweep": {
        "task": "applications.tasks.sweep_outbox",
        "schedule": float(env("OUTBOX_SWEEP_SECONDS", "60")),
    },
}
# The outbox (applications.outbox): a row owed longer than this is swept (the kick after the commit
# gets the first minute); a worker's claim on a row lasts this long before another may deliver it.
OUTBOX_SWEEP_AFTER_SECONDS = float(env("OUTBOX_SWEEP_AFTER_SECONDS", "60"))
OUTBOX_LEASE_SECONDS = float(env("OUTBOX_LEASE_SECONDS", "120"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's (hashed, expiring), with the organisation; first, so that a wrong token is a 401 that says
        # "WWW-Authenticate: Token"
        "applications.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Throttles on the API: per address for anonymous requests (a wrong token is one), per user for the rest;
    # counted in CACHES (Redis with CACHE_URL: across every app server).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "120/minute"),
        "user": env("API_THROTTLE_USER", "1200/minute"),
        # wrong tokens per address (applications/api/authentication.py)
        "token_failure": env("API_THROTTLE_TOKEN_FAILURES", "10/minute"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # DRF's three, refusing NUL characters
    "DEFAULT_PARSER_CLASSES": [
        "applications.api.parsers.JSONParser",
        "applications.api.parsers.FormParser",
        "applications.api.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    # Swagger UI and ReDoc from our own static files, not a CDN with @latest
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Open Subsidie API",
    "DESCRIPTION": "Schemes, openings, applications and their lifecycle, and KPI reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Operations (ops): the health probes and the metrics, see docs/deployment.md.
# /gezondheid/ reports the outbox unwell when its oldest owed letter or e-mail waited longer than this.
HEALTH_OUTBOX_MAX_AGE_MINUTES = int(env("HEALTH_OUTBOX_MAX_AGE_MINUTES", "15"))
# /gezondheid/klaar/ reports not ready when the disk of MEDIA_ROOT is fuller than this.
HEALTH_DISK_MAX_USED_PERCENT = float(env("HEALTH_DISK_MAX_USED_PERCENT", "95"))
# /metrics answers only a scraper that sends "Authorization: Bearer <METRICS_TOKEN>"; unset, it does not exist.
METRICS_TOKEN = env("METRICS_TOKEN")

# Production hardening, active whenever DEBUG is off.
if not DEBUG:
    # X-Forwarded-Proto says "this came in over HTTPS" only when a proxy we run sets it (and strips the
    # client's own): trusted only when one is configured, otherwise anyone could claim HTTPS.
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The load balancer's probes and Prometheus talk plain HTTP to each app server.
    SECURE_REDIRECT_EXEMPT = [r"^gezondheid/", r"^metrics$"]
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# Logs: one JSON object a line on stderr (LOG_FORMAT=json, the default without DEBUG) or a line
# of text (LOG_FORMAT=text, the default with DEBUG), each with the request id or the Celery task id.
LOG_FORMAT = env("LOG_FORMAT", "text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "ops.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "ops.logs.JsonFormatter"},
        "text": {"()": "ops.logs.TextFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    # Django's own records go to the handler above only (its default console handler would print them twice).
    "loggers": {"django": {"handlers": [], "level": "INFO"}},
}
# The Celery worker logs through the handler above (JSON, with the task id) instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The key that makes every lottery reproducible is its published seed; this is
# only the HMAC's domain separator, not a secret.
LOTTERY_HMAC_CONTEXT = "open-subsidie-lottery-v1"
