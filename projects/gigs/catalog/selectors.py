"""Reads of the gig service (search lives in catalog.search)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from marketplace_libs.errors import InvalidInput

from .models import Category, Favourite, Gig, GigStatus, Seller


def categories() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("parent__position", "parent_id", "position", "name")


def category_by_slug(slug: str) -> Category:
    """The category a request names, or a 400 on ``category``."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise InvalidInput.on("category", "No such category: GET /api/gigs/categories/ lists them.")
    return category


def category_with_descendants(category: Category) -> list[int]:
    """The ids of ``category`` and every category under it (the tree is two or three levels deep)."""
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def category_tree_ids(slug: str) -> tuple[int, ...]:
    """The ids of the category a request names and of every category under it (a 400 on ``category``
    for an unknown slug), kept with the search results: they change when a category does."""
    from .search import memo

    key = memo.key(memo.generation(), "category", slug)
    ids = memo.get(key)
    if ids is None:
        ids = tuple(category_with_descendants(category_by_slug(slug)))
        memo.put(key, ids)
    return ids


def seller_filter_id(value: str) -> str:
    """The user id a seller filter names (a username or a user id); an unknown one matches nothing."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        seller = Seller.objects.filter(username__iexact=value).first()
        return str(seller.user_id) if seller else str(uuid.UUID(int=0))


def gigs_with_details() -> QuerySet[Gig]:
    return Gig.objects.select_related("seller", "category").prefetch_related(
        "tags", "images", "packages")


def _visible_to(viewer_id, prefix: str = "") -> Q:
    """Active and paused gigs to anyone, drafts to their seller only, deleted ones to nobody."""
    visible = Q(**{f"{prefix}status__in": [GigStatus.ACTIVE, GigStatus.PAUSED]})
    if viewer_id is not None:
        visible |= Q(**{f"{prefix}seller_id": viewer_id})
    return visible & Q(**{f"{prefix}deleted_at__isnull": True})


def visible_gig(gig_id, *, viewer_id=None) -> Gig | None:
    """A gig as ``viewer_id`` may see it; None means 404 (never reveal that someone else's draft exists)."""
    return gigs_with_details().filter(_visible_to(viewer_id), pk=gig_id).first()


def owned_gig(gig_id, *, seller_id) -> Gig | None:
    return gigs_with_details().filter(pk=gig_id, seller_id=seller_id, deleted_at__isnull=True).first()


def favourite_ids_among(user_id, gig_ids) -> set:
    """Which of ``gig_ids`` (a page's) ``user_id`` has saved: one query per page, none without a user."""
    if user_id is None or not gig_ids:
        return set()
    return set(Favourite.objects.filter(user_id=user_id, gig_id__in=list(gig_ids)).values_list("gig_id", flat=True))


def favourites_of(user_id) -> QuerySet[Favourite]:
    """The gigs ``user_id`` saved that they may still see, newest saved first, each with its gig's details."""
    return (Favourite.objects.filter(_visible_to(user_id, prefix="gig__"), user_id=user_id)
            .select_related("gig__seller", "gig__category")
            .prefetch_related("gig__tags", "gig__images", "gig__packages")
            .order_by("-created_at", "-id"))


def saved_gigs(favourites) -> list[Gig]:
    """The gigs of a page of ``favourites_of``, each with ``saved_at``."""
    gigs = []
    for favourite in favourites:
        favourite.gig.saved_at = favourite.created_at
        gigs.append(favourite.gig)
    return gigs
