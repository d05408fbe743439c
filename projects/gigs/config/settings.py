import environ

from marketplace_libs.settings import service_settings

globals().update(service_settings("gigs", apps=[
    "django.contrib.postgres",
    "marketplace_libs.events",
    "catalog",
]))

REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [  # noqa: F821
    "rest_framework.parsers.JSONParser",
    "rest_framework.parsers.MultiPartParser",  # gig images
]

MIDDLEWARE.insert(  # noqa: F821
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware"),  # noqa: F821
    "marketplace_libs.admin_sso.AdminSingleSignOnMiddleware",
)

# Search: Elasticsearch when configured, else the database's own full-text search.
MARKETPLACE_ELASTICSEARCH_URL = environ.Env().str("MARKETPLACE_ELASTICSEARCH_URL", default="")
