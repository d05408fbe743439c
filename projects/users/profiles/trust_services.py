"""The writes of trust signals (docs/trust-signals.md): facts from order, chat and presence events, a
seller's tally moved by each event, and the nightly recompute that rebuilds everything from the facts.

Every fact is merged so that the arrival order of events does not matter and a duplicate changes
nothing; the tally moves by the difference one event makes to one order, so it always equals the sum
the recompute makes (a test holds the two to that).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import events, levels, trust
from .models import FirstMessage, OrderFact, Presence, Profile, SellerTally


# --- orders --------------------------------------------------------------------------------------

def record_order_facts(*, order_id, seller_id, paid: bool = False, due_at: datetime | None = None,
                       delivered_at: datetime | None = None, completed_at: datetime | None = None,
                       cancelled_at: datetime | None = None) -> None:
    """Merge what one order event told into the order's facts and move the seller's tally by the
    difference; then the seller's level may change."""
    with transaction.atomic():
        OrderFact.objects.bulk_create([OrderFact(order_id=order_id, seller_id=seller_id)], ignore_conflicts=True)
        fact = OrderFact.objects.select_for_update().get(pk=order_id)
        before = trust.counts_of(fact)
        fact.paid = fact.paid or paid
        fact.due_at = _latest(fact.due_at, due_at)  # extensions only move it later
        fact.first_delivered_at = _earliest(fact.first_delivered_at, delivered_at)
        fact.completed_at = fact.completed_at or completed_at
        fact.cancelled_at = fact.cancelled_at or cancelled_at
        fact.save()
        moved = trust.counts_of(fact) - before
        if moved:
            _ensure_tally(seller_id)
            SellerTally.objects.filter(pk=seller_id).update(
                **{name: F(name) + change for name, change in moved.as_dict().items() if change})
        refresh_level(seller_id=seller_id)


def _latest(current, told):
    return told if current is None or (told is not None and told > current) else current


def _earliest(current, told):
    return told if current is None or (told is not None and told < current) else current


def _ensure_tally(seller_id) -> None:
    SellerTally.objects.bulk_create([SellerTally(seller_id=seller_id)], ignore_conflicts=True)


# --- chat: the first message of each participant -------------------------------------------------

def record_message(*, conversation_id, sender_id, recipient_id, seq: int, sent_at: datetime) -> None:
    """Keep the sender's first message in the conversation (the lowest ``seq`` told); when it changes,
    both participants' response times may have."""
    with transaction.atomic():
        first, created = FirstMessage.objects.get_or_create(
            conversation_id=conversation_id, sender_id=sender_id,
            defaults={"recipient_id": recipient_id, "seq": seq, "sent_at": sent_at})
        if not created and not FirstMessage.objects.filter(pk=first.pk, seq__gt=seq).update(seq=seq, sent_at=sent_at):
            return  # a later message, or one told before: nothing to time anew
        for participant in (sender_id, recipient_id):
            refresh_response_time(seller_id=participant)


def response_time_hours(*, seller_id, now: datetime | None = None):
    """The median wait for the seller's first reply in the conversations a buyer opened with them within the
    window (the buyer is who wrote first: seq 1); conversations not answered yet do not count."""
    since = (now or timezone.now()) - timedelta(days=settings.RESPONSE_TIME_WINDOW_DAYS)
    openings = dict(FirstMessage.objects.filter(recipient_id=seller_id, seq=1, sent_at__gte=since)
                    .values_list("conversation_id", "sent_at"))
    replies = FirstMessage.objects.filter(sender_id=seller_id, conversation_id__in=list(openings)) \
        .values_list("conversation_id", "sent_at")
    return trust.median_response_hours([replied - openings[conversation] for conversation, replied in replies])


def refresh_response_time(*, seller_id, now: datetime | None = None) -> None:
    hours = response_time_hours(seller_id=seller_id, now=now)
    if hours is None and not SellerTally.objects.filter(pk=seller_id).exists():
        return  # a buyer who has answered nobody needs no tally
    _ensure_tally(seller_id)
    SellerTally.objects.filter(pk=seller_id).update(response_time_hours=hours)


# --- presence ------------------------------------------------------------------------------------

def record_presence(*, user_id, online: bool, at: datetime, revision: int) -> None:
    """``presence.changed``: the newest revision wins, whatever order the events arrive in."""
    _presence, created = Presence.objects.get_or_create(
        user_id=user_id, defaults={"online": online, "changed_at": at, "revision": revision})
    if not created:
        Presence.objects.filter(pk=user_id, revision__lt=revision).update(online=online, changed_at=at,
                                                                          revision=revision)


# --- levels --------------------------------------------------------------------------------------

def refresh_level(*, seller_id, now: datetime | None = None) -> None:
    """The level the seller's tally, rating and account age give today; a change is a new public card
    (``user.profile_updated``), which the gig service shows on its seller cards."""
    with transaction.atomic():
        profile = Profile.objects.select_for_update(of=("self",)).select_related("seller").filter(pk=seller_id).first()
        if profile is None:
            return  # the profile's creation refreshes it (services._create_profile)
        level = level_of(profile, SellerTally.objects.filter(pk=seller_id).first(), now=now or timezone.now())
        if level == profile.level:
            return
        profile.level = level
        profile.revision += 1
        profile.save(update_fields=["level", "revision", "updated_at"])
        events.profile_updated(profile)


def level_of(profile: Profile, tally: SellerTally | None, *, now: datetime) -> str:
    tally = tally or SellerTally(seller_id=profile.pk)
    record = levels.SellerRecord(
        completed_orders=tally.completed_orders, settled_orders=tally.settled_orders, timed_orders=tally.timed_orders,
        on_time_orders=tally.on_time_orders, rating_avg=profile.rating_avg,
        account_age_days=(now - profile.created_at).total_seconds() / 86400)
    return levels.level_of(record, settings.SELLER_LEVELS)


# --- the nightly recompute -----------------------------------------------------------------------

def recompute_all(*, now: datetime | None = None) -> int:
    """Rebuild every seller's tally, response time and level from the facts alone; how many sellers.
    What time alone changes (account age, conversations leaving the window) is caught up here."""
    now = now or timezone.now()
    seller_ids = (set(OrderFact.objects.values_list("seller_id", flat=True).distinct())
                  | set(SellerTally.objects.values_list("seller_id", flat=True))
                  | set(FirstMessage.objects.filter(seq=1).values_list("recipient_id", flat=True).distinct())
                  | set(Profile.objects.exclude(level=Profile._meta.get_field("level").default)
                        .values_list("user_id", flat=True)))
    for seller_id in seller_ids:
        recompute_seller(seller_id=seller_id, now=now)
    return len(seller_ids)


def recompute_seller(*, seller_id, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        total = sum((trust.counts_of(fact) for fact in OrderFact.objects.filter(seller_id=seller_id)),
                    trust.OrderCounts())
        SellerTally.objects.update_or_create(
            seller_id=seller_id,
            defaults={**total.as_dict(), "response_time_hours": response_time_hours(seller_id=seller_id, now=now)})
        refresh_level(seller_id=seller_id, now=now)
