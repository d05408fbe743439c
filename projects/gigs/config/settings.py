import environ

from marketplace_libs.settings import service_settings, with_admin_sso
from marketplace_libs.topology import database_name

globals().update(service_settings("gigs", apps=[
    "django.contrib.postgres",
    "marketplace_libs.events",
    "django_elasticsearch_dsl",  # `manage.py search_index --rebuild -f`
    "catalog",
]))

REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [  # noqa: F821
    "rest_framework.parsers.JSONParser",
    "rest_framework.parsers.MultiPartParser",  # gig images
]

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

# Search: Elasticsearch when configured, else the database's own full-text search.
MARKETPLACE_ELASTICSEARCH_URL = environ.Env().str("MARKETPLACE_ELASTICSEARCH_URL", default="")
# The client is made lazily: with no URL set the default below is never dialled.
ELASTICSEARCH_DSL = {
    "default": {
        "hosts": MARKETPLACE_ELASTICSEARCH_URL or "http://127.0.0.1:9200",
        "request_timeout": 5,
    },
}
# Kept in step on commit by catalog.search.elastic, not by django-elasticsearch-dsl's model signals.
ELASTICSEARCH_DSL_AUTOSYNC = False
ELASTICSEARCH_DSL_AUTO_REFRESH = False
ELASTICSEARCH_DSL_SIGNAL_PROCESSOR = "django_elasticsearch_dsl.signals.BaseSignalProcessor"
# Named after the database (MARKETPLACE_DATABASE_PREFIX): the e2e platform's index is not a developer's.
MARKETPLACE_ELASTICSEARCH_INDEX = database_name("gigs")
# The client logs every request at INFO: one line per search is noise beside the access log.
LOGGING["loggers"]["elastic_transport.transport"] = {"level": "WARNING"}  # noqa: F821

MARKETPLACE_PERIODIC_TASKS = {
    "make-missing-thumbnails": {"task": "catalog.tasks.make_missing_thumbnails", "every_seconds": 60},
}

