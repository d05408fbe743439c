from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("reviews", apps=[
    "marketplace_libs.events",
    "reviews",
]))

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821
