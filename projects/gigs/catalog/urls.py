from django.urls import path

from . import api

urlpatterns = [
    path("", api.GigsView.as_view(), name="gigs"),
    path("categories/", api.CategoriesView.as_view(), name="categories"),
    path("favourites/", api.FavouritesView.as_view(), name="favourites"),
    path("<uuid:gig_id>/", api.GigDetailView.as_view(), name="gig"),
    path("<uuid:gig_id>/favourite", api.FavouriteView.as_view(), name="favourite"),
    path("<uuid:gig_id>/images/", api.GigImagesView.as_view(), name="gig-images"),
    path("<uuid:gig_id>/images/<uuid:image_id>/", api.GigImageView.as_view(), name="gig-image"),
]
