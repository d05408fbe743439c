"""The order state machine, in one place: which step may happen from which status, and by whom.

    pending_payment --pay--> in_progress --deliver--> delivered --accept / auto_complete--> completed
    delivered --request_revision--> in_progress
    pending_payment --cancel (buyer)--> cancelled;  in_progress --cancel (seller)--> cancelled
    in_progress --cancel_late (buyer, once due_at has passed)--> cancelled
    in_progress / delivered --open_dispute (either party)--> disputed
    disputed --resolve_* (staff)--> cancelled (refund_buyer) or completed (release_to_seller, partial_refund)
    staff may cancel any order that is not completed, cancelled or disputed yet (a dispute ends by its outcome)
    (pay is taken when the payment service's payment.succeeded arrives)

A disputed order is the source of no step but the resolutions: nothing else moves it, the scheduler's
auto_complete included.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import OrderStatus as S


@dataclass(frozen=True)
class Step:
    name: str
    sources: frozenset[str]
    target: str
    actor: str  # buyer, seller, party (either of the two), payments (the payment service), system, staff
    timeline: str  # the kind of its timeline entry; its event is published by services.py through events.py


STEPS = {step.name: step for step in (
    Step("pay", frozenset({S.PENDING_PAYMENT}), S.IN_PROGRESS, "payments", "paid"),
    Step("deliver", frozenset({S.IN_PROGRESS}), S.DELIVERED, "seller", "delivered"),
    Step("request_revision", frozenset({S.DELIVERED}), S.IN_PROGRESS, "buyer", "revision_requested"),
    Step("accept", frozenset({S.DELIVERED}), S.COMPLETED, "buyer", "completed"),
    Step("auto_complete", frozenset({S.DELIVERED}), S.COMPLETED, "system", "auto_completed"),
    Step("cancel_by_buyer", frozenset({S.PENDING_PAYMENT}), S.CANCELLED, "buyer", "cancelled"),
    Step("cancel_by_seller", frozenset({S.IN_PROGRESS}), S.CANCELLED, "seller", "cancelled"),
    Step("cancel_late_by_buyer", frozenset({S.IN_PROGRESS}), S.CANCELLED, "buyer", "cancelled_late"),
    Step("open_dispute", frozenset({S.IN_PROGRESS, S.DELIVERED}), S.DISPUTED, "party", "dispute_opened"),
    Step("resolve_refund_buyer", frozenset({S.DISPUTED}), S.CANCELLED, "staff", "dispute_resolved"),
    Step("resolve_release_to_seller", frozenset({S.DISPUTED}), S.COMPLETED, "staff", "dispute_resolved"),
    Step("resolve_partial_refund", frozenset({S.DISPUTED}), S.COMPLETED, "staff", "dispute_resolved"),
    Step("cancel_by_staff", frozenset({S.PENDING_PAYMENT, S.IN_PROGRESS, S.DELIVERED}), S.CANCELLED, "staff",
         "cancelled"),
)}


def step(name: str) -> Step:
    return STEPS[name]
