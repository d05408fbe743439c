"""The payment service's Celery app (its outbox relay and, as it subscribes to events, its worker)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from marketplace_libs.events.celery_app import make_celery_app  # noqa: E402

app = make_celery_app()
