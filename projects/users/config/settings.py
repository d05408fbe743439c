from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("users", apps=[
    "marketplace_libs.events",
    "profiles",
]))

# PATCH me takes JSON, or a multipart form when it carries an avatar.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [  # noqa: F821
    "rest_framework.parsers.JSONParser",
    "rest_framework.parsers.MultiPartParser",
]

# Staff sign in once at the auth service's admin; this admin trusts its cookie.
MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821
