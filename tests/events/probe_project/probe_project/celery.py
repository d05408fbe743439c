import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "probe_project.settings")
django.setup()

from marketplace_libs.events.celery_app import make_celery_app  # noqa: E402

app = make_celery_app()
