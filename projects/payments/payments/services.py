"""Every write of the payment service, and the events it owes the others.

Locks are always taken in one order, order terms first, then the payment, then the refund or payout:
the webhook, the order events and the scheduler meet on the same rows without deadlocking, and a
payment that succeeds while its order is being cancelled is seen by exactly one of the two (which
then refunds it).

Provider calls that move money (refunds, transfers) run inside the transaction that records their
outcome, with an idempotency key derived from what they are for. A process killed after the provider
answered leaves nothing committed; the step runs again, the provider answers the same key with the
same refund or transfer, and the ledger's unique keys make sure it is written once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from marketplace_libs.errors import Conflict, InvalidInput, NotFound, NotYet, Unavailable

from . import events, ledger, metrics, providers
from .models import (
    Account, Balance, LedgerEntry, LedgerTransaction, Movement, OrderStatus, OrderTerms, Payment, PaymentStatus,
    Payout, PayoutStatus, ProviderEvent, Refund, RefundStatus,
)

log = structlog.get_logger("marketplace.payments")

# order.placed usually reaches this service about a second after the order is placed.
TERMS_RETRY_SECONDS = 2
PAID = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class ProviderDown(Unavailable):
    retry_after = 10
    default_detail = "The payment provider is unavailable; nothing was changed. Try again shortly."


class NotKnownYet(LookupError):
    """An event needs a fact that has not arrived yet (order.completed before order.placed): raised so
    the consumer retries it with backoff."""


# --- order terms (order.* events) --------------------------------------------------------------------

def record_order_placed(*, data: dict) -> None:
    OrderTerms.objects.bulk_create([OrderTerms(
        order_id=data["order_id"], buyer_id=data["buyer_id"], seller_id=data["seller_id"], title=data["title"],
        price=Decimal(data["price"]), service_fee=Decimal(data["service_fee"]), total=Decimal(data["total"]),
        seller_earnings=Decimal(data["seller_earnings"]), currency=data["currency"], placed_at=data["placed_at"],
    )], ignore_conflicts=True)


def record_order_paid(*, order_id) -> None:
    with transaction.atomic():
        terms = _locked_terms(order_id)
        if terms.status == OrderStatus.PLACED:
            terms.status = OrderStatus.PAID
            terms.save(update_fields=["status"])


def record_order_completed(*, order_id, completed_at: datetime, refund_amount: Decimal | None = None) -> None:
    """The seller earned the order: the escrow pays the platform's fee and the seller's pending earning.

    ``refund_amount`` (a dispute resolved with a partial refund) goes back to the buyer first, in the same
    transaction, under the key ``dispute-<order>``: a retried event finds the refund and the earning done.
    The earning is what is left in escrow: the order's total less every refund asked for, confirmed or still
    pending at the provider (a pending one leaves escrow when the provider confirms it)."""
    with transaction.atomic():
        terms = _locked_terms(order_id)
        payment = (Payment.objects.select_for_update().filter(order_id=order_id, status__in=PAID)
                   .order_by("succeeded_at").first())
        if payment is None:
            raise NotKnownYet(f"order {order_id} completed, but no payment of it is known")
        if refund_amount is not None:
            left = payment.amount - _requested_refunds(payment)
            if not Refund.objects.filter(idempotency_key=f"dispute-{order_id}").exists() and refund_amount > left:
                # The order service allows less than it knows to be unrefunded; more here is a bug: dead-letter it.
                raise ValueError(f"order {order_id}: a dispute refund of {refund_amount} exceeds the {left} left")
            _send_refund(_new_refund(payment, refund_amount, idempotency_key=f"dispute-{order_id}",
                                     reason="A dispute resolved with a partial refund."), payment, terms)
        terms.status, terms.completed_at = OrderStatus.COMPLETED, completed_at
        terms.save(update_fields=["status", "completed_at"])
        ledger.post_earning(terms, refunded=_requested_refunds(payment))


def record_order_cancelled(*, order_id, cancelled_at: datetime) -> None:
    """A cancelled paid order is refunded in full (a provider that is down raises: the event is retried)."""
    with transaction.atomic():
        terms = _locked_terms(order_id)
        terms.status, terms.cancelled_at = OrderStatus.CANCELLED, cancelled_at
        terms.save(update_fields=["status", "cancelled_at"])
        for payment in Payment.objects.select_for_update().filter(order_id=order_id, status__in=PAID):
            remaining = payment.amount - _requested_refunds(payment)
            if remaining > 0:
                _send_refund(_new_refund(payment, remaining, idempotency_key=f"refund-{order_id}",
                                         reason="The order was cancelled."), payment, terms)


def _locked_terms(order_id) -> OrderTerms:
    terms = OrderTerms.objects.select_for_update().filter(pk=order_id).first()
    if terms is None:
        raise NotKnownYet(f"the terms of order {order_id} (order.placed) have not arrived yet")
    return terms


# --- checkout ------------------------------------------------------------------------------------------

def checkout(*, buyer_id: str, order_id, provider: str | None = None) -> tuple[Payment, bool]:
    """The order's open payment, or a new one at the provider; (payment, created)."""
    if provider is not None and provider not in providers.enabled():
        raise InvalidInput.on("provider", f"One of the enabled providers: {', '.join(providers.enabled())}.")
    with transaction.atomic():
        # The order's row is locked across the provider call: two checkouts of one order open one payment.
        terms = OrderTerms.objects.select_for_update().filter(pk=order_id).first()
        if terms is None:
            # From here an order placed a moment ago and an id that will never exist look the same.
            raise NotYet("The payment service does not know this order yet. An order placed in the last few "
                         "seconds can be paid shortly: retry after Retry-After seconds.", code="order_pending",
                         retry_after=TERMS_RETRY_SECONDS)
        if str(terms.buyer_id) != str(buyer_id):
            raise NotFound("No such order.")
        if terms.status == OrderStatus.CANCELLED:
            raise Conflict("The order is cancelled.")
        if terms.status != OrderStatus.PLACED or Payment.objects.filter(order_id=order_id, status__in=PAID).exists():
            raise Conflict("The order is already paid.")
        open_payment = Payment.objects.filter(order_id=order_id, status=PaymentStatus.REQUIRES_PAYMENT).first()
        if open_payment is not None:
            if provider is not None and provider != open_payment.provider:
                raise Conflict(f"The order has an open {open_payment.provider} payment; complete that one.")
            return open_payment, False
        name = provider or settings.PAYMENT_PROVIDER
        payment_id = uuid.uuid4()
        try:
            intent = providers.get(name).create_intent(
                payment_id=str(payment_id), order_id=str(order_id), amount=terms.total, currency=terms.currency,
                description=terms.title, idempotency_key=f"checkout-{payment_id}")
        except providers.ProviderUnavailable as error:
            raise ProviderDown("The payment provider is unavailable; no payment was opened. "
                               "Try again shortly.") from error
        except providers.ProviderRefused as refusal:
            raise Conflict(f"The payment provider refused the payment: {refusal}") from refusal
        payment = Payment.objects.create(
            id=payment_id, order_id=order_id, buyer_id=buyer_id, provider=name, provider_reference=intent.reference,
            amount=terms.total, currency=terms.currency, client_secret=intent.client_secret)
        metrics.count_on_commit(metrics.CHECKOUTS, provider=name)
    return payment, True


# --- the providers' webhooks -------------------------------------------------------------------------

def apply_webhook(*, provider: str, body: bytes, headers) -> str:
    """Verify and apply a provider's event once: "applied", "duplicate" (seen before), or "ignored"
    (stale or of no interest). A forged or stale signature, an unknown payment or an amount that is not
    the payment's is InvalidInput (400) and changes nothing."""
    try:
        verifier = providers.get(provider)
    except providers.ProviderNotConfigured as error:
        raise NotFound(f"The {provider} provider is not configured on this platform.") from error
    event = verifier.verify_webhook(body=body, headers=headers)
    if event.type not in ("payment.succeeded", "payment.failed", "refund.succeeded"):
        return "ignored"
    known = Payment.objects.filter(provider=provider, provider_reference=event.payment_reference).first()
    if known is None:
        raise InvalidInput.on("data", "No payment has this reference.")
    with transaction.atomic():
        terms = OrderTerms.objects.select_for_update().get(pk=known.order_id)
        payment = Payment.objects.select_for_update().get(pk=known.pk)
        if ProviderEvent.objects.filter(provider=provider, event_id=event.id).exists():
            return "duplicate"
        _check_amount(event, payment)
        if event.type == "payment.succeeded":
            outcome = _payment_succeeded(payment, terms)
        elif event.type == "payment.failed":
            outcome = _payment_failed(payment, terms, reason=event.reason)
        else:
            outcome = _refund_confirmed(payment, terms, amount=event.amount)
        ProviderEvent.objects.create(provider=provider, event_id=event.id, type=event.type, payment=payment,
                                     outcome=outcome)
    return outcome


def _check_amount(event, payment: Payment) -> None:
    if event.currency.upper() != payment.currency:
        raise InvalidInput.on("data", f"The currency is not the payment's ({payment.currency}).")
    if event.type == "refund.succeeded":
        if not 0 < event.amount <= payment.amount:
            raise InvalidInput.on("data", f"The refund's amount is not within the payment's ({payment.amount}).")
    elif event.amount != payment.amount:
        raise InvalidInput.on("data", f"The amount is not the payment's ({payment.amount} {payment.currency}).")


def _payment_succeeded(payment: Payment, terms: OrderTerms) -> str:
    if payment.status in PAID:
        return "ignored"
    already_paid = Payment.objects.filter(order_id=payment.order_id, status__in=PAID).exclude(pk=payment.pk).exists()
    payment.status, payment.succeeded_at, payment.failure_reason = PaymentStatus.SUCCEEDED, timezone.now(), ""
    payment.save(update_fields=["status", "succeeded_at", "failure_reason"])
    ledger.post_payment(payment, terms)
    events.payment_succeeded(payment, terms)
    metrics.count_on_commit(metrics.PAYMENTS, provider=payment.provider, outcome="succeeded")
    # The money arrived but the order cannot use it: it goes back. The scheduler sends the refund, so the
    # provider's webhook is never answered with an error because the provider is slow to refund.
    if terms.status == OrderStatus.CANCELLED:
        _new_refund(payment, payment.amount, idempotency_key=f"refund-{payment.order_id}",
                    reason="Paid after the order was cancelled.")
    elif already_paid:
        _new_refund(payment, payment.amount, idempotency_key=f"refund-duplicate-{payment.pk}",
                    reason="The order was already paid by another payment.")
    return "applied"


def _payment_failed(payment: Payment, terms: OrderTerms, *, reason: str) -> str:
    if payment.status != PaymentStatus.REQUIRES_PAYMENT:
        return "ignored"  # providers do not promise order: a failure told after the success is stale
    payment.status, payment.failure_reason = PaymentStatus.FAILED, (reason or "The payment failed.")[:500]
    payment.save(update_fields=["status", "failure_reason"])
    events.payment_failed(payment, terms, failed_at=timezone.now())
    metrics.count_on_commit(metrics.PAYMENTS, provider=payment.provider, outcome="failed")
    return "applied"


def _refund_confirmed(payment: Payment, terms: OrderTerms, *, amount: Decimal) -> str:
    """``amount`` is what the provider has refunded of the payment so far, in all (Stripe's charge says
    so): the refunds it had answered "pending" are complete, oldest first, as far as that total goes."""
    confirmed = 0
    for refund in Refund.objects.select_for_update().filter(payment=payment, status=RefundStatus.PENDING)\
            .order_by("sequence"):
        if payment.refunded_amount + refund.amount > amount:
            break
        _refund_succeeded(refund, payment, terms)
        confirmed += 1
    # Nothing pending within it: ours succeeded at once already, or the provider tells of one we did not ask for.
    return "applied" if confirmed else "ignored"


# --- refunds ---------------------------------------------------------------------------------------------

def refund(*, order_id, amount: Decimal, idempotency_key: str, reason: str = "") -> Refund:
    """Give ``amount`` of the order's payment back to the buyer through its provider, once per
    ``idempotency_key`` (a dispute's partial refund passes its own key). ProviderDown when the provider
    is away: nothing is kept, and the same call later does it."""
    with transaction.atomic():
        terms = _locked_terms(order_id)
        payment = (Payment.objects.select_for_update().filter(order_id=order_id, status__in=PAID)
                   .order_by("succeeded_at").first())
        if payment is None:
            raise Conflict("The order has no payment to refund.")
        existing = Refund.objects.select_for_update().filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.status == RefundStatus.REQUESTED:
                _send_refund(existing, payment, terms)
            return existing
        if not 0 < amount <= payment.amount - _requested_refunds(payment):
            raise InvalidInput.on("amount", f"At most {payment.amount - _requested_refunds(payment)} "
                                            f"{payment.currency} of this payment is left to refund.")
        return _send_refund(_new_refund(payment, amount, idempotency_key=idempotency_key, reason=reason),
                            payment, terms)


def send_requested_refunds(*, limit: int = 100) -> int:
    """The scheduler's part: send the refunds decided without calling the provider (a payment that
    arrived for a cancelled order). Returns how many completed or went pending."""
    sent = 0
    for refund_id, order_id, payment_id in Refund.objects.filter(status=RefundStatus.REQUESTED)\
            .order_by("created_at").values_list("pk", "order_id", "payment_id")[:limit]:
        try:
            with transaction.atomic():
                terms = OrderTerms.objects.select_for_update().get(pk=order_id)
                payment = Payment.objects.select_for_update().get(pk=payment_id)
                requested = Refund.objects.select_for_update().filter(pk=refund_id,
                                                                      status=RefundStatus.REQUESTED).first()
                if requested is None:
                    continue  # another run sent it meanwhile
                _send_refund(requested, payment, terms)
                sent += 1
        except ProviderDown:
            log.warning("refund_postponed", refund_id=str(refund_id), reason="provider unavailable")
    return sent


def _requested_refunds(payment: Payment) -> Decimal:
    return Refund.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"] or Decimal("0")


def _new_refund(payment: Payment, amount: Decimal, *, idempotency_key: str, reason: str) -> Refund:
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    sequence = Refund.objects.filter(order_id=payment.order_id).count() + 1
    return Refund.objects.create(payment=payment, order_id=payment.order_id, sequence=sequence, amount=amount,
                                 currency=payment.currency, idempotency_key=idempotency_key, reason=reason[:200])


def _send_refund(refund: Refund, payment: Payment, terms: OrderTerms) -> Refund:
    if refund.status != RefundStatus.REQUESTED:
        return refund
    try:
        answer = providers.get(payment.provider).refund(
            payment_reference=payment.provider_reference, amount=refund.amount, currency=refund.currency,
            idempotency_key=refund.idempotency_key)
    except providers.ProviderUnavailable as error:
        raise ProviderDown("The payment provider is unavailable; the refund was not sent.") from error
    refund.provider_reference = answer.reference
    if answer.status == "succeeded":
        _refund_succeeded(refund, payment, terms)
    else:
        refund.status = RefundStatus.PENDING  # the provider's refund.succeeded webhook completes it
        refund.save(update_fields=["status", "provider_reference"])
    return refund


def _refund_succeeded(refund: Refund, payment: Payment, terms: OrderTerms) -> None:
    refund.status, refund.succeeded_at = RefundStatus.SUCCEEDED, timezone.now()
    refund.save(update_fields=["status", "succeeded_at", "provider_reference"])
    payment.refunded_amount += refund.amount
    payment.status = (PaymentStatus.REFUNDED if payment.refunded_amount == payment.amount
                      else PaymentStatus.PARTIALLY_REFUNDED)
    payment.save(update_fields=["refunded_amount", "status"])
    ledger.post_refund(order_id=refund.order_id, sequence=refund.sequence, buyer_id=payment.buyer_id,
                       amount=refund.amount, currency=refund.currency, at=refund.succeeded_at)
    events.payment_refunded(refund, payment, terms)
    metrics.count_on_commit(metrics.REFUNDS, provider=payment.provider)


# --- clearance ---------------------------------------------------------------------------------------------

def release_cleared_earnings(*, now: datetime | None = None, limit: int = 500) -> int:
    """Move the pending earnings whose clearance time has come to the sellers' available balances.
    Safe to run twice at once: a clearance is keyed by its order and written once."""
    now = now or timezone.now()
    cleared_orders = LedgerTransaction.objects.filter(kind=Movement.CLEARANCE, order_id__isnull=False)\
        .values("order_id")
    due = (LedgerEntry.objects.filter(account=Account.SELLER_PENDING, transaction__kind=Movement.EARNING,
                                      available_at__lte=now)
           .exclude(transaction__order_id__in=cleared_orders)
           .order_by("available_at")
           .values_list("transaction__order_id", "owner_id", "amount", "currency")[:limit])
    return sum(_clear(order_id=order_id, seller_id=seller_id, amount=amount, currency=currency)
               for order_id, seller_id, amount, currency in list(due))


def release_earning_now(*, order_id) -> str:
    """Support's early release: the order's pending earning becomes available now, before its clearance
    time. "released"; "already_cleared"; or "not_earned" (the order is not completed, or its completion has
    not reached this service yet)."""
    pending = (LedgerEntry.objects.filter(account=Account.SELLER_PENDING, transaction__kind=Movement.EARNING,
                                          transaction__order_id=order_id)
               .values_list("owner_id", "amount", "currency").first())
    if pending is None:
        return "not_earned"
    seller_id, amount, currency = pending
    cleared = _clear(order_id=order_id, seller_id=seller_id, amount=amount, currency=currency)
    return "released" if cleared else "already_cleared"


def _clear(*, order_id, seller_id, amount: Decimal, currency: str) -> bool:
    with transaction.atomic():
        if not ledger.post_clearance(order_id=order_id, seller_id=seller_id, amount=amount, currency=currency):
            return False
        events.earnings_cleared(order_id=order_id, seller_id=seller_id, amount=amount, currency=currency,
                                cleared_at=timezone.now())
        metrics.count_on_commit(metrics.EARNINGS_CLEARED)
    return True


# --- payouts -------------------------------------------------------------------------------------------

def request_payout(*, seller_id: str, amount: Decimal, currency: str) -> Payout:
    """Take ``amount`` out of the seller's available balance into a payout the scheduler sends.

    The balance row is locked (SELECT ... FOR UPDATE) for the check and the movement: concurrent
    requests are served one after the other and never overdraw (the row's CHECK is the last guard)."""
    minimum = Decimal(settings.PAYOUT_MINIMUM)
    if amount < minimum:
        raise InvalidInput.on("amount", f"The smallest payout is {minimum:.2f}.")
    with transaction.atomic():
        ledger.ensure_balance(seller_id, currency)
        balance = Balance.objects.select_for_update().get(user_id=seller_id, currency=currency)
        if balance.available < amount:
            raise Conflict(f"The available balance is {balance.available:.2f} {currency}; "
                           f"a payout of {amount:.2f} would overdraw it.")
        payout = Payout.objects.create(seller_id=seller_id, amount=amount, currency=currency,
                                       provider=settings.PAYMENT_PROVIDER)
        ledger.post_payout_requested(payout)
        metrics.count_on_commit(metrics.PAYOUTS, outcome="requested")
    return payout


def pay_pending_payouts(*, limit: int = 100) -> int:
    """Send the pending payouts through their provider (idempotency key: the payout id) and record the
    outcome. A provider that is away leaves the payout pending for the next run. Returns how many settled."""
    settled = 0
    for payout_id in Payout.objects.filter(status=PayoutStatus.PENDING).order_by("created_at")\
            .values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            # skip_locked: another scheduler run already has this one.
            payout = Payout.objects.select_for_update(skip_locked=True).filter(
                pk=payout_id, status=PayoutStatus.PENDING).first()
            if payout is None:
                continue
            try:
                answer = providers.get(payout.provider).transfer(
                    payout_id=str(payout.pk), seller_id=str(payout.seller_id), amount=payout.amount,
                    currency=payout.currency, idempotency_key=str(payout.pk))
            except providers.ProviderUnavailable:
                log.warning("payout_postponed", payout_id=str(payout.pk), reason="provider unavailable")
                continue
            except providers.ProviderRefused as refusal:
                answer = providers.Transfer(reference="", status="failed", failure_reason=str(refusal))
            payout.provider_reference = answer.reference
            if answer.status == "paid":
                _payout_paid(payout)
            elif answer.status == "failed":
                _payout_failed(payout, reason=answer.failure_reason)
            else:
                payout.save(update_fields=["provider_reference"])
                continue
            settled += 1
    return settled


def _payout_paid(payout: Payout) -> None:
    payout.status, payout.paid_at = PayoutStatus.PAID, timezone.now()
    payout.save(update_fields=["status", "paid_at", "provider_reference"])
    ledger.post_payout_paid(payout)
    events.payout_paid(payout)
    metrics.count_on_commit(metrics.PAYOUTS, outcome="paid")


def _payout_failed(payout: Payout, *, reason: str) -> None:
    payout.status, payout.failed_at = PayoutStatus.FAILED, timezone.now()
    payout.failure_reason = (reason or "The provider did not pay the payout.")[:500]
    payout.save(update_fields=["status", "failed_at", "failure_reason", "provider_reference"])
    ledger.post_payout_failed(payout)
    events.payout_failed(payout)
    metrics.count_on_commit(metrics.PAYOUTS, outcome="failed")
