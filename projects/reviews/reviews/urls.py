from django.urls import path

from . import api

urlpatterns = [
    path("", api.ReviewsView.as_view(), name="reviews"),
    path("summary", api.SummaryView.as_view(), name="summary"),
    path("<uuid:review_id>/", api.ReviewView.as_view(), name="review"),
    path("<uuid:review_id>/reply", api.ReplyView.as_view(), name="reply"),
]
