"""Every write of the gig service, and the events it owes the others.

Keyword-only, transactional; each change the order service must know of (what it sells, at
which price, whether it is on sale) publishes ``gig.created``/``gig.updated``/``gig.deleted`` here.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from marketplace_libs.errors import Conflict, InvalidInput, NotFound
from marketplace_libs.files import thumbnails
from marketplace_libs.images import ImageRules, processed_image
from marketplace_libs.insert_once import insert_once
from marketplace_libs.readmodels import ensure_card, keep_card
from marketplace_libs.tallies import rounded_average

from . import events, rules, search
from .search import vocabulary
from .models import Category, Favourite, Gig, GigImage, GigRating, GigSale, GigStatus, Package, Seller, Tag

log = structlog.get_logger(__name__)

IMAGE_RULES = ImageRules(max_bytes=5 * 1024 * 1024, max_side=1600, min_side=200)


# --- sellers, as the gig service knows them ---------------------------------------------------

def ensure_seller(*, user_id, username: str) -> Seller:
    """The seller's card, from their token until ``user.profile_updated`` tells more."""
    return ensure_card(Seller, user_id=user_id, username=username)


def record_profile_card(*, user_id, username: str, display_name: str, revision: int, level: str | None = None) -> None:
    """``user.profile_updated``: keep the newest card; the gigs showing it are reindexed. ``level``: absent from
    cards published before levels existed, which leave the one kept alone."""
    more = {"level": level} if level is not None else {}
    if keep_card(Seller, user_id=user_id, username=username, display_name=display_name, revision=revision, **more):
        search.gigs_changed(Gig.objects.filter(seller_id=user_id).values_list("pk", flat=True))


# --- gigs ---------------------------------------------------------------------------------------

def create_gig(*, seller: Seller, title: str, description: str, category: Category, packages: list[dict],
               tags: list[str] = (), status: str = GigStatus.DRAFT) -> Gig:
    _check_status_choice(status)
    with transaction.atomic():
        gig = Gig(seller=seller, title=title, description=description, category=category, status=status)
        _apply_packages_summary(gig, packages)
        gig.save()
        _replace_packages(gig, packages)
        _replace_tags(gig, tags)
        _after_change(gig, events.gig_created)
    return gig


def update_gig(*, gig: Gig, packages: list[dict] | None = None, tags: list[str] | None = None,
               **changes) -> Gig:
    if "status" in changes:
        _check_status_choice(changes["status"])
    with transaction.atomic():
        gig = Gig.objects.select_for_update().get(pk=gig.pk)
        if gig.paused_by_staff and changes.get("status") == GigStatus.ACTIVE:
            raise Conflict("Staff paused this gig; contact support to have it reviewed.")
        before = (gig.price_from, gig.currency)
        for field, value in changes.items():
            setattr(gig, field, value)
        if packages is not None:
            _apply_packages_summary(gig, packages)
        gig.revision += 1
        gig.save()
        if packages is not None:
            _replace_packages(gig, packages)
        if tags is not None:
            _replace_tags(gig, tags)
        _after_change(gig, events.gig_updated)
        _tell_savers_of_a_drop(gig, old_price=before[0], old_currency=before[1])
    return gig


def delete_gig(*, gig: Gig) -> None:
    """Soft delete: orders already placed keep the packages they bought (the order service's copy)."""
    with transaction.atomic():
        updated = Gig.objects.filter(pk=gig.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), revision=gig.revision + 1)
        if updated:
            events.gig_deleted(gig)
            search.gigs_changed([gig.pk])


def _tell_savers_of_a_drop(gig: Gig, *, old_price, old_currency: str) -> None:
    """``gig.price_dropped`` to the users who saved the gig, when its starting price went down (docs/gigs.md,
    "Favourites"): on sale now, same currency (a change of currency is not a drop), the seller left out.
    Savers who save it after this read are not told: they saw the new price."""
    if gig.status != GigStatus.ACTIVE or gig.currency != old_currency or not gig.price_from < old_price:
        return
    user_ids = [str(user_id) for user_id in Favourite.objects.filter(gig=gig).exclude(user_id=gig.seller_id)
                .order_by("user_id").values_list("user_id", flat=True)]
    if user_ids:
        events.gig_price_dropped(gig, old_price=old_price, user_ids=user_ids)


def pause_by_staff(*, gig: Gig) -> bool:
    with transaction.atomic():
        gig = Gig.objects.select_for_update().get(pk=gig.pk)
        if gig.is_deleted or (gig.status == GigStatus.PAUSED and gig.paused_by_staff):
            return False
        gig.status, gig.paused_by_staff = GigStatus.PAUSED, True
        gig.revision += 1
        gig.save()
        _after_change(gig, events.gig_updated)
    return True


def release_staff_pause(*, gig: Gig) -> None:
    with transaction.atomic():
        Gig.objects.filter(pk=gig.pk).update(paused_by_staff=False)


def _check_status_choice(status: str) -> None:
    if status not in GigStatus.values:
        raise InvalidInput.on("status", f"One of {', '.join(GigStatus.values)}.")


def _apply_packages_summary(gig: Gig, packages: list[dict]) -> None:
    gig.price_from = min(package["price"] for package in packages)
    gig.currency = packages[0]["currency"]
    gig.fastest_delivery_days = min(package["delivery_days"] for package in packages)


def _replace_packages(gig: Gig, packages: list[dict]) -> None:
    gig.packages.all().delete()
    Package.objects.bulk_create(Package(gig=gig, **package) for package in packages)


def _replace_tags(gig: Gig, names: list[str]) -> None:
    tags = []
    for name in names:
        tag, _ = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    gig.tags.set(tags)
    Gig.objects.filter(pk=gig.pk).update(tags_text=" ".join(names))
    gig.tags_text = " ".join(names)


def _after_change(gig: Gig, announce: Callable[[Gig], None]) -> None:
    _refresh_search_vector(gig)
    announce(gig)
    search.gigs_changed([gig.pk])


def _refresh_search_vector(gig: Gig) -> None:
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector
    from django.db.models import Value

    Gig.objects.filter(pk=gig.pk).update(search_vector=(
        SearchVector(Value(gig.title), weight="A", config="english")
        + SearchVector(Value(gig.tags_text), weight="B", config="english")
        + SearchVector(Value(gig.description), weight="C", config="english")))
    if gig.status == GigStatus.ACTIVE and gig.deleted_at is None:
        vocabulary.add_words_of(title=gig.title, tags_text=gig.tags_text)


# --- favourites ---------------------------------------------------------------------------------
#
# The count on the gig moves by one only when this call really inserted or deleted the row: two saves at
# once insert one row (the second INSERT … ON CONFLICT waits for the first and skips) and add one; two
# unsaves at once delete it once (the second DELETE waits for the first and finds nothing). A save racing an
# unsave of the same row inserts again once the delete commits, so the count stays the number of rows.

PUBLIC_STATUSES = (GigStatus.ACTIVE, GigStatus.PAUSED)


def save_favourite(*, user_id, gig_id) -> bool:
    """Save a gig anyone may see; True if saved now, False if it was saved already. 404 otherwise."""
    with transaction.atomic():
        if not Gig.objects.filter(pk=gig_id, status__in=PUBLIC_STATUSES, deleted_at__isnull=True).exists():
            raise NotFound("No such gig.")
        created = insert_once(Favourite(user_id=user_id, gig_id=gig_id), unique_fields=("user_id", "gig"))
        if created:
            Gig.objects.filter(pk=gig_id).update(favourites_count=F("favourites_count") + 1)
    return created


def remove_favourite(*, user_id, gig_id) -> bool:
    """Unsave a gig; True if it was saved. A saved gig may be unsaved whatever became of it; removing a
    favourite that is not there is fine for a gig anyone may see, and a 404 for any other id."""
    with transaction.atomic():
        removed, _ = Favourite.objects.filter(user_id=user_id, gig_id=gig_id).delete()
        if removed:
            Gig.objects.filter(pk=gig_id).update(favourites_count=F("favourites_count") - 1)
        elif not Gig.objects.filter(pk=gig_id, status__in=PUBLIC_STATUSES, deleted_at__isnull=True).exists():
            raise NotFound("No such gig.")
    return bool(removed)


# --- images -------------------------------------------------------------------------------------

def add_image(*, gig: Gig, upload) -> GigImage:
    stored = processed_image(upload, field="image", rules=IMAGE_RULES)
    with transaction.atomic():
        gig = Gig.objects.select_for_update().get(pk=gig.pk)
        count = gig.images.count()
        if count >= rules.MAX_IMAGES:
            raise Conflict(f"A gig has at most {rules.MAX_IMAGES} images; delete one first.")
        image = GigImage(gig=gig, position=count)
        image.file.save(stored.name, stored, save=False)
        try:
            image.save()
        except BaseException:
            image.file.storage.delete(image.file.name)
            raise
        transaction.on_commit(lambda: thumbnails.request_thumbnail("catalog.tasks.make_image_thumbnail", image.pk))
    return image


def make_thumbnail(*, image_id) -> bool:
    """The image's thumbnail, made once (the worker's task and the sweep may both try); True if made now."""
    image = GigImage.objects.filter(pk=image_id, thumbnail="").first()
    if image is None:
        return False
    made = thumbnails.make_thumbnail(image.file.storage, image.file.name, folder=f"gigs/{image.gig_id}/thumbnails")
    if made is None:
        return False
    if not GigImage.objects.filter(pk=image.pk, thumbnail="").update(thumbnail=made):
        image.file.storage.delete(made)  # another worker was first, or the image is gone
        return False
    return True


def images_without_thumbnails(*, limit: int = 100) -> list:
    return list(GigImage.objects.filter(thumbnail="").order_by("created_at").values_list("pk", flat=True)[:limit])


def delete_image(*, gig: Gig, image_id) -> None:
    with transaction.atomic():
        image = GigImage.objects.filter(gig=gig, pk=image_id).first()
        if image is None:
            raise NotFound("No such image on this gig.")
        names, storage = [image.file.name, image.thumbnail.name], image.file.storage
        image.delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in names if name])


# --- stats, from other services' events ---------------------------------------------------------

def record_review(*, review_id, gig_id, rating: int) -> None:
    GigRating.objects.bulk_create([GigRating(review_id=review_id, gig_id=gig_id, rating=rating)],
                                  ignore_conflicts=True)
    _refresh_rating(gig_id)


def forget_review(*, review_id, gig_id) -> None:
    """``review.hidden``: staff took the review down; it no longer counts, even if told again later."""
    GigRating.objects.bulk_create([GigRating(review_id=review_id, gig_id=gig_id, rating=None, hidden=True)],
                                  update_conflicts=True, unique_fields=["review_id"], update_fields=["hidden"])
    _refresh_rating(gig_id)


def _refresh_rating(gig_id) -> None:
    ratings = GigRating.objects.filter(gig_id=gig_id, hidden=False).aggregate(count=Count("pk"), total=Sum("rating"))
    Gig.objects.filter(pk=gig_id).update(rating_count=ratings["count"],
                                         rating_avg=rounded_average(ratings["total"] or 0, ratings["count"]))
    search.gigs_changed([gig_id])


def record_sale(*, order_id, gig_id) -> None:
    GigSale.objects.bulk_create([GigSale(order_id=order_id, gig_id=gig_id)], ignore_conflicts=True)
    Gig.objects.filter(pk=gig_id).update(orders_count=GigSale.objects.filter(gig_id=gig_id).count())
    search.gigs_changed([gig_id])
