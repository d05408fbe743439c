from marketplace_libs.settings import service_settings

globals().update(service_settings("reviews", apps=[
    "marketplace_libs.events",
    "reviews",
]))

MIDDLEWARE.insert(  # noqa: F821
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware"),  # noqa: F821
    "marketplace_libs.admin_sso.AdminSingleSignOnMiddleware",
)
