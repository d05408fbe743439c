"""The events the gig service publishes: one function per type, its payload's shape in one place.

Each runs inside the transaction of the change it reports (``publish`` writes the outbox row).
"""

from __future__ import annotations

from django.utils import timezone

from marketplace_libs.events.publishing import publish
from marketplace_libs.times import iso_utc

from . import rules
from .models import TIER_ORDER, Gig


def gig_created(gig: Gig) -> None:
    publish("gig.created", _gig_data(gig), aggregate_id=str(gig.pk))


def gig_updated(gig: Gig) -> None:
    publish("gig.updated", _gig_data(gig), aggregate_id=str(gig.pk))


def gig_deleted(gig: Gig) -> None:
    publish("gig.deleted", {"gig_id": str(gig.pk), "seller_id": str(gig.seller_id),
                            "deleted_at": iso_utc(timezone.now())}, aggregate_id=str(gig.pk))


# Savers per gig.price_dropped: one outbox row stays small, and a notification worker handles a part in one go.
PRICE_DROP_USERS_PER_EVENT = 500


def gig_price_dropped(gig: Gig, *, old_price, user_ids: list[str]) -> None:
    """One event per ``PRICE_DROP_USERS_PER_EVENT`` savers (the schema's ``maxItems``), each complete by itself."""
    chunks = [user_ids[start:start + PRICE_DROP_USERS_PER_EVENT]
              for start in range(0, len(user_ids), PRICE_DROP_USERS_PER_EVENT)]
    dropped_at = iso_utc(timezone.now())
    for part, chunk in enumerate(chunks, start=1):
        publish("gig.price_dropped", {
            "gig_id": str(gig.pk), "seller_id": str(gig.seller_id), "title": gig.title,
            "old_price": f"{old_price:.2f}", "new_price": f"{gig.price_from:.2f}", "currency": gig.currency,
            "user_ids": chunk, "part": part, "parts": len(chunks), "dropped_at": dropped_at,
        }, aggregate_id=str(gig.pk))


def _gig_data(gig: Gig) -> dict:
    """What the order service sells from: the gig as it is now, every package with its terms."""
    packages = sorted(gig.packages.all(), key=lambda package: TIER_ORDER[package.tier])
    return {
        "gig_id": str(gig.pk),
        "seller_id": str(gig.seller_id),
        "title": gig.title,
        "category": gig.category.slug,
        "status": gig.status,
        "packages": [{
            "tier": package.tier, "title": package.title, "description": package.description,
            "price": f"{package.price:.2f}", "currency": package.currency,
            "delivery_days": package.delivery_days,
            "revisions": rules.UNLIMITED if package.revisions is None else package.revisions,
        } for package in packages],
        "revision": gig.revision,
        "updated_at": iso_utc(timezone.now()),
    }
