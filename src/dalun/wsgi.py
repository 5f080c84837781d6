"""WSGI entry point for gunicorn and the embedded server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalun.settings")
application = get_wsgi_application()
