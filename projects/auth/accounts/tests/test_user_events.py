"""The user service's events, applied through the real consumer path (inbox + handlers, one transaction)."""

import time
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
import structlog
from marketplace_libs import revocation
from marketplace_libs.events import registry
from marketplace_libs.events.consumer import apply_events, checked_event
from marketplace_libs.events.envelope import Event, validate_envelope
from marketplace_libs.events.models import InboxEvent

from accounts import services
from accounts.models import User

from .conftest import AUTH, bearer, problem

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


def deactivated(user_id: str, at: datetime | None = None) -> Event:
    return event("user.deactivated", {
        "user_id": user_id, "deactivated_at": iso(at or datetime.now(timezone.utc)), "reason": "Spam",
    })


def reactivated(user_id: str, at: datetime | None = None) -> Event:
    return event("user.reactivated", {"user_id": user_id, "reactivated_at": iso(at or datetime.now(timezone.utc))})


def roles_of(access: str) -> list[str]:
    return jwt.decode(access, options={"verify_signature": False})["roles"]


def refresh(api, raw: str):
    return api.post(f"{AUTH}/refresh", {"refresh": raw}, format="json")


def log_in(api, account):
    return api.post(f"{AUTH}/login", {"email": account.email, "password": account.password}, format="json")


def me(api, access: str):
    return api.get(f"{AUTH}/me", **bearer(access))


def wait_for_the_next_second():
    # JWT iat is whole seconds and a deactivation refuses every token of its own second: a token
    # that must pass after a reactivation is issued in a later second.
    time.sleep(1.05 - time.time() % 1)


def test_the_worker_binds_the_user_events():
    assert {"user.seller_activated", "user.deactivated", "user.reactivated"} <= set(registry.subscriptions())


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


@pytest.mark.parametrize("make", [seller_activated, deactivated, reactivated])
def test_an_unknown_user_is_ignored_with_a_warning(account, make):
    stranger = str(uuid.uuid4())

    with structlog.testing.capture_logs() as logs:
        applied = apply_events([make(stranger)])

    assert len(applied) == 1  # recorded as handled: retrying could not make the user known
    assert not User.objects.filter(pk=stranger).exists()
    user = User.objects.get(pk=account.id)
    assert user.is_active and not user.is_seller and user.tokens_valid_after is None
    warning = next(entry for entry in logs if entry["event"] == "user_event_for_unknown_user_ignored")
    assert warning["log_level"] == "warning"
    assert warning["user_id"] == stranger


# --- user.deactivated ----------------------------------------------------------------------------

def test_deactivation_refuses_tokens_refresh_and_login(api, account, login):
    pair = login(account)
    assert me(api, pair["access"]).status_code == 200
    deactivated_at = datetime.now(timezone.utc) - timedelta(seconds=30)  # the event arrives late

    apply_events([deactivated(account.id, deactivated_at)])

    user = User.objects.get(pk=account.id)
    assert not user.is_active
    assert user.tokens_valid_after >= deactivated_at
    access = jwt.decode(pair["access"], options={"verify_signature": False})
    # The gateway and every service read this shared cut-off, not the auth database.
    assert revocation.is_revoked(jti=access["jti"], user_id=account.id, issued_at=access["iat"])
    assert problem(me(api, pair["access"]), 401)["type"].endswith("token_revoked")
    problem(refresh(api, pair["refresh"]), 401)
    body = problem(log_in(api, account), 401)
    assert body["detail"] == "The email or password is wrong."  # like wrong credentials: nothing revealed


def test_deactivation_in_the_future_of_this_clock_still_cuts_at_its_own_time(account):
    ahead = datetime.now(timezone.utc) + timedelta(seconds=20)  # the producer's clock runs ahead

    apply_events([deactivated(account.id, ahead)])

    assert User.objects.get(pk=account.id).tokens_valid_after == ahead


def test_deactivation_never_moves_the_cut_off_back(account):
    apply_events([deactivated(account.id)])
    cutoff = User.objects.get(pk=account.id).tokens_valid_after

    apply_events([deactivated(account.id, datetime.now(timezone.utc) - timedelta(hours=1))])  # a late, older one

    assert User.objects.get(pk=account.id).tokens_valid_after == cutoff


# --- user.reactivated ----------------------------------------------------------------------------

def test_reactivation_lets_the_user_log_in_but_old_tokens_stay_refused(api, account, login):
    old = login(account)
    apply_events([deactivated(account.id)])
    wait_for_the_next_second()

    apply_events([reactivated(account.id)])

    assert User.objects.get(pk=account.id).is_active
    response = log_in(api, account)
    assert response.status_code == 200
    new = response.json()
    assert me(api, new["access"]).status_code == 200
    assert refresh(api, new["refresh"]).status_code == 200
    assert problem(me(api, old["access"]), 401)["type"].endswith("token_revoked")
    problem(refresh(api, old["refresh"]), 401)


def test_a_late_older_deactivation_does_not_close_a_reactivated_account(api, account, login):
    now = datetime.now(timezone.utc)
    old = login(account)
    apply_events([reactivated(account.id, now)])  # the newer event happens to arrive first

    apply_events([deactivated(account.id, now - timedelta(minutes=5))])

    user = User.objects.get(pk=account.id)
    assert user.is_active
    assert user.tokens_valid_after == now - timedelta(minutes=5)  # tokens from before it are still refused
    assert log_in(api, account).status_code == 200
    assert me(api, old["access"]).status_code == 200  # issued after that deactivation


def test_a_late_older_reactivation_does_not_reopen_a_deactivated_account(api, account):
    now = datetime.now(timezone.utc)
    apply_events([deactivated(account.id, now)])

    apply_events([reactivated(account.id, now - timedelta(minutes=5))])

    assert not User.objects.get(pk=account.id).is_active
    problem(log_in(api, account), 401)
