"""WSGI entry point. It refuses to serve on the public built-in SECRET_KEY with DEBUG off: gunicorn runs
no system checks, so the one that protects sessions runs here."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grapherd_site.settings")
application = get_wsgi_application()

from ops.checks import secret_key_check  # noqa: E402  (needs the settings configured above)

if problems := secret_key_check():
    raise ImproperlyConfigured(problems[0].msg)
