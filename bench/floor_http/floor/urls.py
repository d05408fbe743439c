from django.urls import path

from . import views

urlpatterns = [
    path("api/gigs/", views.GigList.as_view()),
    path("api/gigs/<uuid:pk>/", views.GigDetail.as_view()),
    path("api/auth/me", views.Me.as_view()),
    path("api/orders/", views.Orders.as_view()),
]
