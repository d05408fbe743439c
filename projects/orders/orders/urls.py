from django.urls import path

from . import api

urlpatterns = [
    path("", api.OrdersView.as_view(), name="orders"),
    path("summary", api.SummaryView.as_view(), name="summary"),
    path("<uuid:order_id>/", api.OrderView.as_view(), name="order"),
    path("offers/", api.OffersView.as_view(), name="offers"),
    path("offers/<uuid:offer_id>/", api.OfferView.as_view(), name="offer"),
    path("offers/<uuid:offer_id>/accept", api.AcceptOfferView.as_view(), name="accept-offer"),
    path("offers/<uuid:offer_id>/decline", api.DeclineOfferView.as_view(), name="decline-offer"),
    path("offers/<uuid:offer_id>/withdraw", api.WithdrawOfferView.as_view(), name="withdraw-offer"),
    path("<uuid:order_id>/deliver", api.DeliverView.as_view(), name="deliver"),
    path("<uuid:order_id>/request-revision", api.RequestRevisionView.as_view(), name="request-revision"),
    path("<uuid:order_id>/accept", api.AcceptView.as_view(), name="accept"),
    path("<uuid:order_id>/cancel", api.CancelView.as_view(), name="cancel"),
    path("<uuid:order_id>/files", api.OrderFilesView.as_view(), name="files"),
    path("<uuid:order_id>/files/<uuid:file_id>", api.OrderFileView.as_view(), name="file"),
    path("<uuid:order_id>/extensions", api.ExtensionsView.as_view(), name="extensions"),
    path("<uuid:order_id>/extensions/<uuid:extension_id>/accept", api.AcceptExtensionView.as_view(),
         name="accept-extension"),
    path("<uuid:order_id>/extensions/<uuid:extension_id>/decline", api.DeclineExtensionView.as_view(),
         name="decline-extension"),
    path("<uuid:order_id>/dispute", api.DisputeView.as_view(), name="dispute"),
]
