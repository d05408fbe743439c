"""The user service's event, applied through the real consumer path (inbox + handlers, one transaction)."""

import uuid
from datetime import datetime, timezone

import jwt
import pytest
import structlog
from marketplace_libs.events import registry
from marketplace_libs.events.consumer import apply_events, checked_event
from marketplace_libs.events.envelope import Event, validate_envelope
from marketplace_libs.events.models import InboxEvent

from accounts import services
from accounts.models import User

from .conftest import AUTH, bearer

pytestmark = pytest.mark.django_db


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def event(event_type: str, data: dict, *, event_id: str | None = None) -> Event:
    """An event as the worker gets it: a valid envelope, its data checked against the catalogue."""
    envelope = {
        "id": event_id or str(uuid.uuid4()), "type": event_type, "version": 1,
        "occurred_at": iso(datetime.now(timezone.utc)), "producer": "users",
        "correlation_id": "req-users-1", "data": data,
    }
    validate_envelope(envelope)
    return checked_event(envelope)


def seller_activated(user_id: str, **kwargs) -> Event:
    return event("user.seller_activated", {
        "user_id": user_id, "username": "alice", "headline": "Django developer",
        "activated_at": iso(datetime.now(timezone.utc)),
    }, **kwargs)


def roles_of(access: str) -> list[str]:
    return jwt.decode(access, options={"verify_signature": False})["roles"]


def refresh(api, raw: str):
    return api.post(f"{AUTH}/refresh", {"refresh": raw}, format="json")


def me(api, access: str):
    return api.get(f"{AUTH}/me", **bearer(access))


def test_the_worker_binds_the_seller_activation_only():
    # Account state (active, email) is written here and announced; only the seller role comes from outside.
    assert registry.subscriptions() == ["user.seller_activated"]


# --- user.seller_activated -------------------------------------------------------------------------

def test_seller_activated_grants_the_role_with_the_next_refresh(api, account, login):
    pair = login(account)
    assert roles_of(pair["access"]) == ["buyer"]

    applied = apply_events([seller_activated(account.id)])

    assert len(applied) == 1
    assert User.objects.get(pk=account.id).is_seller
    new = refresh(api, pair["refresh"]).json()
    assert roles_of(new["access"]) == ["buyer", "seller"]
    assert me(api, new["access"]).json()["roles"] == ["buyer", "seller"]


def test_the_same_event_twice_is_applied_once(account, monkeypatch):
    calls = []
    real = services.grant_seller_role
    monkeypatch.setattr(services, "grant_seller_role", lambda **kwargs: calls.append(kwargs) or real(**kwargs))
    once = seller_activated(account.id)

    assert apply_events([once, once]) == {once.id}  # twice in one batch
    assert apply_events([once]) == set()  # redelivered later

    assert calls == [{"user_id": account.id}]
    assert InboxEvent.objects.filter(event_id=once.id).count() == 1
    assert User.objects.get(pk=account.id).is_seller


def test_a_second_seller_activation_changes_nothing(account):
    apply_events([seller_activated(account.id)])
    apply_events([seller_activated(account.id)])  # another event id: the user opened it again

    assert User.objects.get(pk=account.id).roles == ["buyer", "seller"]


def test_an_unknown_user_is_ignored_with_a_warning(account):
    stranger = str(uuid.uuid4())

    with structlog.testing.capture_logs() as logs:
        applied = apply_events([seller_activated(stranger)])

    assert len(applied) == 1  # recorded as handled: retrying could not make the user known
    assert not User.objects.filter(pk=stranger).exists()
    user = User.objects.get(pk=account.id)
    assert user.is_active and not user.is_seller and user.tokens_valid_after is None
    warning = next(entry for entry in logs if entry["event"] == "user_event_for_unknown_user_ignored")
    assert warning["log_level"] == "warning"
    assert warning["user_id"] == stranger
