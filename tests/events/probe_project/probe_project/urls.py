from marketplace_libs.urls import platform_urlpatterns

urlpatterns = platform_urlpatterns(__import__("django.conf", fromlist=["settings"]).settings.MARKETPLACE_SERVICE)
