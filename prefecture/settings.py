"""Settings, read from the environment (12-factor; see README and CONTRACT).

The embedded default (no variable set but ``DEBUG=true``) is a laptop: SQLite, tasks
run in-process, local-memory cache. Production sets ``DATABASE_URL``, ``REDIS_URL``,
``SECRET_KEY`` and ``ALLOWED_HOSTS``.

Durations read from the environment are whole numbers in the unit their setting's name
ends with (``_SECONDS``, ``_MINUTES``, ``_HOURS``, ``_DAYS``, ``_MONTHS``); the code
makes the timedelta where it uses one. Settings a library owns keep the library's type
(``AXES_COOLOFF_TIME``, ``CONN_MAX_AGE``, ``CELERY_TASK_*_TIME_LIMIT``).
"""

import hashlib
from datetime import time, timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "prefecture.admin_apps.AgentAdminConfig",  # Django's admin behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "dsfr",
    "widget_tweaks",  # django-dsfr's radio and checkbox templates load it
    "django_altcha",
    "crispy_forms",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "prefecture",
    "faq",
    "booking",
]

MIDDLEWARE = [
    # Outermost but for the bench's timing: its work runs when the response closes.
    "prefecture.after_response.AfterResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before anything reads the session: it comes with the announcements and the
    # démarches' version in one MGET.
    "prefecture.request_keys.RequestKeysMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "prefecture.middleware.AdminLanguageMiddleware",
    # Before anything reads a value (the language is active for its 400 page).
    "prefecture.middleware.ControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "prefecture.middleware.AgentIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its page
]

ROOT_URLCONF = "prefecture.urls"
WSGI_APPLICATION = "prefecture.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "faq.context_processors.announcements",
            ],
        },
    },
]

# Project-local crispy pack (templates/crispy_dsfr/): none exists for the DSFR on PyPI.
CRISPY_ALLOWED_TEMPLATE_PACKS = ("crispy_dsfr",)
CRISPY_TEMPLATE_PACK = "crispy_dsfr"

# --- i18n and time: French first; English at /en/. TIME_ZONE is the one source of
# the préfecture's time: pages, SMS texts, quiet hours, collection hours, the beat.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- database
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, its health check skipped for a connection used a moment ago
    # (one round trip less for every page that reads the database).
    DATABASES["default"]["ENGINE"] = "prefecture.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run`: the server and the in-process scheduler write to one file; a
    # transaction takes the write lock when it starts instead of failing midway
    # with "database is locked" (and waits up to 20 s for it).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and Celery: shared through Redis when REDIS_URL is set, so that every web
# process and worker sees the same rate limits and queue.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "prefecture.redis_cache.PooledRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "prefecture",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

# Page fragments that depend only on the code and the language (the layout's header and
# footer, the empty identity and contact forms): kept in each process, with no round
# trip to Redis; a deploy restarts the processes, which empties it.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
}

# Sessions (the booking flow's state, agents' logins) live in Redis when it is there:
# the database store wrote and committed a row at every step of the flow, a fifth of a
# rush request's time (BENCHMARKS.md). A Redis restart ends them: applicants start the
# flow again, agents log in again; bookings live in PostgreSQL. Redis must not evict
# keys (maxmemory-policy noeviction: the Celery queue needs it too).
SESSION_STORE = env.str("SESSION_STORE", default="redis" if REDIS_URL else "database")
if SESSION_STORE == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("SESSION_STORE=redis needs REDIS_URL")
    CACHES["sessions"] = {
        "BACKEND": "prefecture.redis_cache.PooledRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "prefecture-session",
    }
    SESSION_ENGINE = "prefecture.sessions"
    SESSION_CACHE_ALIAS = "sessions"
elif SESSION_STORE != "database":
    raise ImproperlyConfigured("SESSION_STORE must be redis or database")

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than any task may run, so an unacknowledged task is not redelivered early.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# A request publishes after its commit: with Redis unreachable the publish gives up
# within about 2 s (5 s if Redis accepts and does not answer) and leaves the message to
# the sweeper, instead of waiting for the system's two-minute connect timeout, four
# times (Celery's default policy retries thrice). Measured on 5.7 / redis-py 8.1.
CELERY_BROKER_TRANSPORT_OPTIONS |= {"socket_connect_timeout": 1, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Static schedule: django-celery-beat does not support Django 6.1.
CELERY_BEAT_SCHEDULE = {
    "sweep-sms-outbox": {
        "task": "booking.tasks.sweep_messages",
        "schedule": 60.0,
    },
    "purge-personal-data": {
        "task": "booking.tasks.purge_personal_data",
        "schedule": crontab(hour=3, minute=47),
    },
    "generate-slots": {
        "task": "booking.tasks.generate_slots",
        "schedule": crontab(hour=5, minute=40),
    },
    "resume-imports": {
        "task": "booking.tasks.resume_imports",
        "schedule": 60.0,
    },
    "offer-waiting-places": {
        "task": "booking.tasks.offer_waiting_places",
        "schedule": 60.0,
    },
    "send-reminders": {
        "task": "booking.tasks.send_reminders",
        "schedule": crontab(minute=5),
    },
    "clear-expired-sessions": {
        "task": "prefecture.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}

# --- auth
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Agents: a TOTP code after the password (prefecture.admin_site), a lockout after
# repeated failed passwords counted in the database (so every web process sees it),
# and a session that ends after AGENT_IDLE_MINUTES without a request.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AGENT_LOGIN_FAILURE_LIMIT", default=5)
AGENT_LOCKOUT_MINUTES = env.int("AGENT_LOCKOUT_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=AGENT_LOCKOUT_MINUTES)
# Locking a username alone would let anyone lock agents out of their desk.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "booking.web.network.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "prefecture.admin_site.lockout_response"
OTP_TOTP_ISSUER = "Préfecture du Loiret"
AGENT_IDLE_MINUTES = env.int("AGENT_IDLE_MINUTES", default=30)
# Between the password and the code, the session lives this long (not sliding).
AGENT_SECOND_FACTOR_MINUTES = env.int("AGENT_SECOND_FACTOR_MINUTES", default=10)
# A first TOTP set-up needs a single-use code issued by a superuser, valid this long.
AGENT_TOTP_ENROLMENT_HOURS = env.int("AGENT_TOTP_ENROLMENT_HOURS", default=24)

# --- static files, served by WhiteNoise (no CDN: the DSFR ships with django-dsfr).
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- e-mail (Django 6.1 mailers): console unless EMAIL_URL names an SMTP server,
# e.g. smtp+tls://user:password@host:587
_email = env.email_url("EMAIL_URL", default="consolemail://")
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS", False),
    "use_ssl": _email.get("EMAIL_USE_SSL", False),
    "timeout": 10,
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": _smtp_options
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Préfecture du Loiret <ne-pas-repondre@localhost>"
)

# --- security. HTTPS_ONLY (default: on when DEBUG is off) turns on redirects, secure
# cookies and HSTS; TRUST_X_FORWARDED_PROTO is for the load balancer terminating TLS.
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]  # load balancer health checks speak plain HTTP
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=31536000 if HTTPS_ONLY else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Trusted reverse proxies in front of gunicorn: the client address is read from the
# right of X-Forwarded-For (rate limits per IP).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],  # the proof-of-work puzzle runs in workers
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- the public site
# The public address, for links sent by e-mail and SMS.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip(
    "/"
)
# Serves the `make bench` baseline views under /bench/; never on in production.
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)
# `Server-Timing: app;dur=…, cpu;dur=…` on every response, for `make bench`'s
# server-side times per step; off in production (it tells anyone how long we worked).
SERVER_TIMING = env.bool("SERVER_TIMING", default=False)
if SERVER_TIMING:
    MIDDLEWARE.insert(0, "prefecture.server_timing.ServerTimingMiddleware")

# --- waiting list (liste d'attente)
# An offered place waits this long for an answer, counted from when its SMS can be
# sent (quiet hours excluded), never past the slot's minimum notice.
WAITING_OFFER_HOURS = env.int("WAITING_OFFER_HOURS", default=24)
# A place leaving less than this to answer is not offered (self-service keeps it).
WAITING_OFFER_MIN_MINUTES = env.int("WAITING_OFFER_MIN_MINUTES", default=60)
# Declined or unanswered offers after which a request leaves the list (with an SMS).
WAITING_MAX_MISSED = env.int("WAITING_MAX_MISSED", default=2)
# Offers made by one run of the allocator at most (the next run goes on).
WAITING_OFFERS_PER_RUN = env.int("WAITING_OFFERS_PER_RUN", default=1000)

# --- booking
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=10)
# /api/v1/creneaux is cached until a hold, booking or slot changes, and at most this
# long (what only the clock changes: publication moments, expired holds).
AVAILABILITY_CACHE_SECONDS = env.int("AVAILABILITY_CACHE_SECONDS", default=5)
# No cancel or move online in the last hours before the appointment.
BOOKING_CHANGE_CUTOFF_HOURS = env.int("BOOKING_CHANGE_CUTOFF_HOURS", default=24)
# An appointment can be moved online this many times (each move sends an SMS); then
# the applicant can still cancel, or ask the préfecture's front desk.
BOOKING_MAX_MOVES = env.int("BOOKING_MAX_MOVES", default=3)
# The booking flow's state expires after this long without a step (the variable's
# name predates the unit suffix).
BOOKING_FLOW_MAX_AGE_SECONDS = env.int("BOOKING_FLOW_MAX_AGE", default=1800)

# --- anti-abuse (ANTIBOT=off turns off the proof of work, honeypot and rate limits)
ANTIBOT = env.bool("ANTIBOT", default=True)
# Failed numéro étranger checks allowed per window, per session / IP / numéro.
BOOKING_CHECK_LIMITS = {"session": 5, "ip": 20, "numero": 5}
# Confirmation attempts allowed per window, per session / IP (whatever the outcome).
BOOKING_CONFIRM_LIMITS = {"session": 10, "ip": 100, "no_proof_ip": 5}
BOOKING_CHECK_WINDOW_MINUTES = env.int("BOOKING_CHECK_WINDOW_MINUTES", default=15)
# Live holds (places kept while a form is filled in) taken from one client address:
# high enough for a point numérique or a household behind one address; a place
# held per numéro étranger and per booking being moved anyway.
BOOKING_HOLDS_PER_IP = env.int("BOOKING_HOLDS_PER_IP", default=20)
# Look-ups of manage links (/rdv/..., /rendez-vous/gerer/...) per IP and window, and
# the failed ones (unknown or old reference-based links).
# Every look-up, and the failed ones, per address and window: an address may be a
# carrier's NAT or a public digital-help point shared by many applicants.
BOOKING_LINK_LOOKUP_LIMITS = {"ip": 300, "failed_ip": 10}
# The manage link sent again by SMS: per booking and day, at the applicant's request
# (identity step) and by agents (agenda).
BOOKING_LINK_RESENDS_PER_DAY = env.int("BOOKING_LINK_RESENDS_PER_DAY", default=2)
BOOKING_LINK_RESENDS_PER_DAY_AGENT = env.int(
    "BOOKING_LINK_RESENDS_PER_DAY_AGENT", default=5
)
# The manage page's one-time code (SMS): codes per booking and day, its lifetime,
# wrong tries per code and per IP and appointment in a window.
BOOKING_MANAGE_CODES_PER_DAY = env.int("BOOKING_MANAGE_CODES_PER_DAY", default=5)
BOOKING_MANAGE_CODE_MINUTES = env.int("BOOKING_MANAGE_CODE_MINUTES", default=10)
# ALTCHA proof of work (self-hosted): challenges signed with a key derived from
# SECRET_KEY unless given; single-use through the shared cache.
ALTCHA_HMAC_KEY = env.str(
    "ALTCHA_HMAC_KEY",
    default=hashlib.sha256(("altcha:" + SECRET_KEY).encode()).hexdigest(),
)
ALTCHA_VERIFICATION_ENABLED = ANTIBOT

# --- SMS and provider
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default="sms-outbox.jsonl")
SMS_SENDER = env.str("SMS_SENDER", default="PREF45")  # at most 11 letters/digits
# Nothing is sent between these hours (TIME_ZONE): messages wait for the morning.
SMS_QUIET_FROM = time.fromisoformat(env.str("SMS_QUIET_FROM", default="20:00"))
SMS_QUIET_UNTIL = time.fromisoformat(env.str("SMS_QUIET_UNTIL", default="08:00"))
# Transient failures are retried this long after the message was written.
SMS_RETRY_WINDOW_HOURS = env.int("SMS_RETRY_WINDOW_HOURS", default=24)
# A message "sending" for longer than this was interrupted (worker killed).
SMS_SENDING_TIMEOUT_MINUTES = env.int("SMS_SENDING_TIMEOUT_MINUTES", default=5)
SMS_SWEEP_BATCH = 2000
# Messages per Celery task: one publish and one claim for the lot, each SMS still
# recorded as soon as the provider answers.
SMS_BATCH_SIZE = env.int("SMS_BATCH_SIZE", default=50)
# Against SMS pumping: appointment SMS beyond these counts in one day (TIME_ZONE) are
# recorded "refused" and never sent. Per booking: its confirmation, BOOKING_MAX_MOVES
# moves and its cancellation, on one day, all go. Per mobile number, over every
# booking (a parent booking for relatives); card SMS are neither capped nor counted.
SMS_PER_BOOKING_PER_DAY = env.int("SMS_PER_BOOKING_PER_DAY", default=5)
SMS_PER_MOBILE_PER_DAY = env.int("SMS_PER_MOBILE_PER_DAY", default=6)
# Appointment SMS go only to numbers of these regions (phonenumbers' codes): every
# French one, mainland and overseas (booking.phone.FRENCH_REGIONS); "*" for any.
SMS_ALLOWED_REGIONS = env.list(
    "SMS_ALLOWED_REGIONS",
    default=["FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "NC", "PF"],
)
BREVO_API_KEY = env.str("BREVO_API_KEY", default="")
BREVO_API_URL = env.str(
    "BREVO_API_URL", default="https://api.brevo.com/v3/transactionalSMS/send"
)
# Shared secret of the delivery-receipt webhook (part of the URL given to Brevo).
SMS_WEBHOOK_SECRET = env.str("SMS_WEBHOOK_SECRET", default="")

# --- cards: a ready card not collected after this many days gets a reminder, at most
# this often.
CARD_REMINDER_AFTER_DAYS = env.int("CARD_REMINDER_AFTER_DAYS", default=14)
CARD_REMINDER_MAX = env.int("CARD_REMINDER_MAX", default=2)

# --- files agents upload in the admin (booking/services/imports.py): read and written
# in the request up to this size (about 6,000 lines), by the worker above it.
IMPORT_INLINE_BYTES = env.int("IMPORT_INLINE_BYTES", default=256 * 1024)
# A job whose worker shows no progress for this long is taken for dead and resumed.
IMPORT_STALE_SECONDS = env.int("IMPORT_STALE_SECONDS", default=180)
# The import task's own time limit (a 10 MB list takes minutes; BENCHMARKS.md).
IMPORT_TASK_TIME_LIMIT = env.int("IMPORT_TASK_TIME_LIMIT", default=1800)

# --- retention (GDPR; booking/services/retention.py, daily)
IMPORT_RETENTION_DAYS = env.int("IMPORT_RETENTION_DAYS", default=90)
BOOKING_RETENTION_MONTHS = env.int("BOOKING_RETENTION_MONTHS", default=24)
CARD_MOBILE_RETENTION_DAYS = env.int("CARD_MOBILE_RETENTION_DAYS", default=30)
SMS_RETENTION_MONTHS = env.int("SMS_RETENTION_MONTHS", default=6)
AUDIT_RETENTION_MONTHS = env.int("AUDIT_RETENTION_MONTHS", default=12)

# --- logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    # The receipts' secret is in their address: no log line shows it.
    "filters": {
        "redact": {"()": "prefecture.log_redaction.RedactSecretsFilter"},
        "host_probe": {"()": "prefecture.log_levels.HostProbeFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Through the root's filtered handler only, not Django's own (DEBUG) console.
        "django": {"handlers": [], "propagate": True},
        "django.security.DisallowedHost": {"filters": ["host_probe"]},
    },
}
