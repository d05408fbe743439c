"""Email verification: the link sent at registration, POST email/verify and email/resend, the claim."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from marketplace_libs.events.models import OutboxEvent
from marketplace_libs.tokens import get_verifier

from accounts import services
from accounts.models import EmailVerification, User

from .conftest import AUTH, PASSWORD, Account, bearer, problem

pytestmark = pytest.mark.django_db

EVENT = "auth.email_verification_requested"


def link_tokens(user_id: str) -> list[str]:
    """The tokens of the links emailed to the account so far, oldest first (as the events carry them)."""
    events = OutboxEvent.objects.filter(event_type=EVENT, aggregate_id=user_id).order_by("id")
    return [parse_qs(urlsplit(event.data["verify_url"]).query)["token"][0] for event in events]


def verify(api, token):
    return api.post(f"{AUTH}/email/verify", {"token": token}, format="json")


def resend(api, access: str):
    return api.post(f"{AUTH}/email/resend", **bearer(access))


def claims_of(access: str) -> dict:
    return get_verifier().verify(access).claims


def as_if_sent_earlier(user_id: str, seconds: int) -> None:
    EmailVerification.objects.filter(user_id=user_id).update(sent_at=timezone.now() - timedelta(seconds=seconds))


# --- registration sends the link ------------------------------------------------------------

def test_registration_emails_a_single_use_link_that_is_stored_only_hashed(api, account, settings):
    [event] = OutboxEvent.objects.filter(event_type=EVENT)
    assert event.aggregate_id == account.id and event.producer == "auth"
    assert event.data["email"] == account.email and event.data["username"] == account.username
    assert event.data["verify_url"].startswith(f"{settings.MARKETPLACE_PUBLIC_URL}/verify-email?token=")
    [token] = link_tokens(account.id)
    assert len(token) >= 43  # 256 random bits
    [stored] = EmailVerification.objects.filter(user_id=account.id)
    assert stored.email == account.email and stored.used_at is None
    assert token not in stored.token_hash and stored.token_hash != token
    assert stored.expires_at - stored.sent_at == timedelta(hours=48)
    assert not User.objects.get(pk=account.id).email_verified


def test_the_link_follows_user_registered_in_the_same_transaction(api, account):
    types = list(OutboxEvent.objects.filter(aggregate_id=account.id).order_by("id")
                 .values_list("event_type", flat=True))
    assert types == ["user.registered", EVENT]


# --- following the link -------------------------------------------------------------------

def test_following_the_link_verifies_the_address_and_the_next_token_says_so(api, account, login):
    pair = login(account)
    assert claims_of(pair["access"])["email_verified"] is False
    assert api.get(f"{AUTH}/me", **bearer(pair["access"])).json()["email_verified"] is False

    [token] = link_tokens(account.id)
    response = verify(api, token)
    assert response.status_code == 204 and response.content == b""

    assert User.objects.get(pk=account.id).email_verified_at is not None
    assert claims_of(pair["access"])["email_verified"] is False  # a token says what was true when issued
    refreshed = api.post(f"{AUTH}/refresh", {"refresh": pair["refresh"]}, format="json").json()
    assert claims_of(refreshed["access"])["email_verified"] is True
    assert get_verifier().verify(refreshed["access"]).email_verified
    assert claims_of(login(account)["access"])["email_verified"] is True
    assert api.get(f"{AUTH}/me", **bearer(refreshed["access"])).json()["email_verified"] is True


def test_a_used_link_is_400_the_second_time(api, account):
    [token] = link_tokens(account.id)
    assert verify(api, token).status_code == 204
    body = problem(verify(api, token), 400)
    assert list(body["errors"]) == ["token"]


@pytest.mark.parametrize("forged", ["", "x", "q3Xv0bT9Jk2mWc8rLs5NpYd7Ge1Hf4Ua6Zi0Oe3Rt2w", "a" * 512],
                         ids=["empty", "short", "well-formed but unknown", "long"])
def test_a_forged_token_is_400_and_verifies_nothing(api, account, forged):
    problem(verify(api, forged), 400)
    assert not User.objects.get(pk=account.id).email_verified


def test_the_stored_hash_is_not_a_token(api, account):
    # Someone who read the table still cannot verify: the hash of the hash is not on file.
    stored = EmailVerification.objects.get(user_id=account.id)
    problem(verify(api, stored.token_hash), 400)


def test_bad_bodies_are_400_with_the_field(api):
    assert list(problem(api.post(f"{AUTH}/email/verify", {}, format="json"), 400)["errors"]) == ["token"]
    assert list(problem(api.post(f"{AUTH}/email/verify", {"token": 42}, format="json"), 400)["errors"]) == ["token"]
    problem(api.post(f"{AUTH}/email/verify", {"token": "t", "extra": 1}, format="json"), 400)


def test_an_expired_link_is_400(api, account):
    [token] = link_tokens(account.id)
    EmailVerification.objects.filter(user_id=account.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    problem(verify(api, token), 400)
    assert not User.objects.get(pk=account.id).email_verified


def test_a_link_for_an_address_the_account_no_longer_has_is_400(api, account):
    [token] = link_tokens(account.id)
    User.objects.filter(pk=account.id).update(email="new-address@example.com")
    problem(verify(api, token), 400)
    assert not User.objects.get(pk=account.id).email_verified


def test_a_deactivated_account_cannot_verify(api, account):
    [token] = link_tokens(account.id)
    services.deactivate_account(user_id=account.id, reason="Spam")
    problem(verify(api, token), 400)


def test_verifying_spends_every_older_link_too(api, account, login):
    as_if_sent_earlier(account.id, 61)
    assert resend(api, login(account)["access"]).status_code == 202
    first, second = link_tokens(account.id)
    assert verify(api, second).status_code == 204
    problem(verify(api, first), 400)
    assert not EmailVerification.objects.filter(user_id=account.id, used_at__isnull=True).exists()


def test_an_older_link_still_works_before_the_address_is_verified(api, account, login):
    as_if_sent_earlier(account.id, 61)
    assert resend(api, login(account)["access"]).status_code == 202
    first, _second = link_tokens(account.id)
    assert verify(api, first).status_code == 204


@pytest.mark.django_db(transaction=True)
def test_two_clicks_of_the_same_link_at_once_verify_once(api, account):
    [token] = link_tokens(account.id)
    barrier, outcomes = threading.Barrier(2), []

    def click():
        barrier.wait()
        try:
            services.verify_email(token=token)
            outcomes.append("verified")
        except Exception as error:  # noqa: BLE001 - the refusal is what is counted
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["InvalidInput", "verified"]


@pytest.mark.django_db(transaction=True)
def test_two_different_links_clicked_at_once_verify_once_without_a_deadlock(api, account):
    as_if_sent_earlier(account.id, 61)
    services.resend_email_verification(user_id=account.id)
    tokens = link_tokens(account.id)
    barrier, outcomes = threading.Barrier(2), []

    def click(token):
        barrier.wait()
        try:
            services.verify_email(token=token)
            outcomes.append("verified")
        except Exception as error:  # noqa: BLE001 - the refusal is what is counted
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["InvalidInput", "verified"]
    assert User.objects.get(pk=account.id).email_verified


# --- resending ------------------------------------------------------------------------------

def test_resend_within_a_minute_of_the_last_link_is_429_and_sends_nothing(api, account, login):
    access = login(account)["access"]
    response = resend(api, access)
    body = problem(response, 429)
    assert body["type"].endswith(":rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert len(link_tokens(account.id)) == 1


def test_resend_after_a_minute_sends_a_new_link_then_waits_again(api, account, login):
    access = login(account)["access"]
    as_if_sent_earlier(account.id, 61)
    response = resend(api, access)
    assert response.status_code == 202 and response.content == b""
    assert len(link_tokens(account.id)) == 2
    problem(resend(api, access), 429)
    assert len(link_tokens(account.id)) == 2


def test_the_wait_counts_from_the_last_link(api, account, login):
    as_if_sent_earlier(account.id, 45)
    response = resend(api, login(account)["access"])
    problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 15


def test_resend_for_a_verified_address_is_409(api, account, login):
    [token] = link_tokens(account.id)
    verify(api, token)
    as_if_sent_earlier(account.id, 61)
    body = problem(resend(api, login(account)["access"]), 409)
    assert body["type"].endswith(":email_already_verified")
    assert len(link_tokens(account.id)) == 1


def test_resend_needs_a_token(api):
    problem(api.post(f"{AUTH}/email/resend"), 401)


@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_send_one_email(api, account):
    as_if_sent_earlier(account.id, 61)
    barrier, outcomes = threading.Barrier(4), []

    def ask():
        barrier.wait()
        try:
            services.resend_email_verification(user_id=account.id)
            outcomes.append("sent")
        except Exception as error:  # noqa: BLE001 - the refusal is what is counted
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["RateLimited", "RateLimited", "RateLimited", "sent"]
    assert len(link_tokens(account.id)) == 2


# --- accounts staff vouch for ---------------------------------------------------------------

def test_createsuperuser_accounts_are_verified_and_get_no_link(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", email="root-ops@example.com", username="ops_root")
    user = User.objects.get(username="ops_root")
    assert user.email_verified and user.is_superuser
    assert not OutboxEvent.objects.filter(event_type=EVENT).exists()


def test_demo_accounts_are_verified(capsys):
    call_command("seed_demo")
    assert User.objects.count() >= 6
    assert not User.objects.filter(email_verified_at__isnull=True).exists()
    assert not OutboxEvent.objects.filter(event_type=EVENT).exists()


def test_an_account_staff_vouch_for_logs_in_with_the_claim(api, login):
    user = services.register_user(email="ops@example.com", username="ops_anna", password=PASSWORD,
                                  email_verified=True)
    pair = login(Account(id=str(user.id), email=user.email, username=user.username, password=PASSWORD))
    assert claims_of(pair["access"])["email_verified"] is True
