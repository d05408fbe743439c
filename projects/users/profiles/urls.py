from django.urls import path

from . import api

urlpatterns = [
    path("me", api.MeView.as_view(), name="me"),
    path("me/seller", api.SellerView.as_view(), name="me-seller"),
    path("me/preferences", api.PreferencesView.as_view(), name="me-preferences"),
    path("<str:username>", api.PublicProfileView.as_view(), name="public-profile"),
]
