"""The smallest Django settings module djaodjin-saas 1.3.1 runs its checkout
with: SQLite (a file, Django's defaults) or PostgreSQL, the fake processor
backend, no web layer. Read by ``bench_peer.py`` in the peer's own venv."""

import os

BASE_DIR = os.environ.get("PEER_BASE_DIR", "/tmp/payproc-peer")
SECRET_KEY = "peer-benchmark-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "saas",
]
_URL = os.environ.get("PEER_DATABASE_URL", "")
if _URL.startswith("postgresql"):
    _rest = _URL.split("://", 1)[1]
    _user, _hostpart = _rest.split("@", 1)
    _host, _name = _hostpart.split("/", 1)
    _host, _, _port = _host.partition(":")
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": _name, "USER": _user,
                             "HOST": _host, "PORT": _port or "5432"}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                             "NAME": _URL or os.path.join(BASE_DIR, "peer.sqlite3")}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SAAS = {
    "BROKER": {"GET_INSTANCE": "broker"},
    "PROCESSOR": {"BACKEND": "saas.backends.fake_processor.FakeProcessorBackend",
                  "PUB_KEY": "pk_fake", "PRIV_KEY": "sk_fake"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
SAAS_ORGANIZATION_MODEL = "saas.Organization"
AUTH_USER_MODEL = "auth.User"
