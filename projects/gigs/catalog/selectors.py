"""Reads of the gig service (search lives in catalog.search)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Category, Gig, GigStatus


def categories() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("parent__position", "parent_id", "position", "name")


def category_by_slug(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()


def category_with_descendants(category: Category) -> list[int]:
    """The ids of ``category`` and every category under it (the tree is two or three levels deep)."""
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def gigs_with_details() -> QuerySet[Gig]:
    return Gig.objects.select_related("seller", "category").prefetch_related(
        "tags", "images", "packages")


def visible_gig(gig_id, *, viewer_id=None) -> Gig | None:
    """A gig as ``viewer_id`` may see it: active and paused ones to anyone, drafts to their seller only;
    deleted ones to nobody. None means 404 (never reveal that someone else's draft exists)."""
    visible = Q(status__in=[GigStatus.ACTIVE, GigStatus.PAUSED])
    if viewer_id is not None:
        visible |= Q(seller_id=viewer_id)
    return gigs_with_details().filter(visible, pk=gig_id, deleted_at__isnull=True).first()


def owned_gig(gig_id, *, seller_id) -> Gig | None:
    return gigs_with_details().filter(pk=gig_id, seller_id=seller_id, deleted_at__isnull=True).first()
