"""POST /api/auth/password/reset and /password/reset/confirm."""

from datetime import datetime, timedelta, timezone as dt_timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from marketplace_libs.events.models import OutboxEvent

from accounts.models import PasswordResetRequest, User

from .conftest import AUTH, NEW_PASSWORD, PASSWORD, bearer, problem

pytestmark = pytest.mark.django_db

EVENT = "auth.password_reset_requested"


def ask(api, email: str, **headers):
    return api.post(f"{AUTH}/password/reset", {"email": email}, format="json", **headers)


def confirm(api, token: str, new_password: str = NEW_PASSWORD):
    return api.post(f"{AUTH}/password/reset/confirm", {"token": token, "new_password": new_password},
                    format="json")


def reset_token(event: OutboxEvent) -> str:
    return parse_qs(urlsplit(event.data["reset_url"]).query)["token"][0]


@pytest.fixture
def reset(api, account):
    """Asks for a reset of the account's password; returns the token the email would carry."""
    assert ask(api, account.email).status_code == 202
    return reset_token(OutboxEvent.objects.get(event_type=EVENT))


def test_unknown_email_is_202_and_sends_nothing(api, account):
    response = ask(api, "nobody@example.com")
    assert response.status_code == 202
    assert not OutboxEvent.objects.filter(event_type=EVENT).exists()
    assert not PasswordResetRequest.objects.exists()


def test_known_and_unknown_emails_answer_alike(api, account):
    known, unknown = ask(api, account.email), ask(api, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content


def test_known_email_publishes_a_reset_link(api, account, settings):
    before = datetime.now(dt_timezone.utc)
    response = ask(api, "ALICE@example.com", HTTP_X_REQUEST_ID="reset-req-1")
    assert response.status_code == 202

    event = OutboxEvent.objects.get(event_type=EVENT)
    assert event.correlation_id == "reset-req-1"
    assert event.aggregate_id == account.id
    assert event.data["user_id"] == account.id
    assert event.data["email"] == "alice@example.com"
    assert event.data["username"] == "alice"
    assert event.data["reset_url"].startswith(f"{settings.MARKETPLACE_PUBLIC_URL}/reset-password?token=")
    expires_at = datetime.fromisoformat(event.data["expires_at"])
    expected = before + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    assert abs((expires_at - expected).total_seconds()) < 60
    reset_request = PasswordResetRequest.objects.get()
    assert str(reset_request.user_id) == account.id and reset_request.used_at is None


def test_a_burst_of_resets_sends_three_links_and_answers_alike(api, account, settings):
    settings.PASSWORD_RESETS_PER_EMAIL = 3
    answers = [ask(api, spelling) for spelling in ["alice@example.com", "ALICE@example.com"] * 15]

    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.content for answer in answers}) == 1
    assert OutboxEvent.objects.filter(event_type=EVENT).count() == 3


def test_the_reset_limit_is_per_address(api, account, register, settings):
    settings.PASSWORD_RESETS_PER_EMAIL = 1
    bob = register(email="bob@example.com", username="bobby")
    ask(api, account.email)
    ask(api, account.email)
    ask(api, bob.email)
    assert sorted(event.data["email"] for event in OutboxEvent.objects.filter(event_type=EVENT)) == [
        "alice@example.com", "bob@example.com"]


def test_inactive_account_gets_no_link(api, account):
    User.objects.filter(pk=account.id).update(is_active=False)
    assert ask(api, account.email).status_code == 202
    assert not OutboxEvent.objects.filter(event_type=EVENT).exists()


def test_the_link_sets_a_new_password_once(api, account, login):
    old_session = login(account)
    assert ask(api, account.email).status_code == 202
    reset = reset_token(OutboxEvent.objects.get(event_type=EVENT))

    assert confirm(api, reset).status_code == 204

    user = User.objects.get(pk=account.id)
    assert user.check_password(NEW_PASSWORD)
    assert PasswordResetRequest.objects.get().used_at is not None
    problem(api.post(f"{AUTH}/login", {"email": account.email, "password": PASSWORD}, format="json"), 401)
    assert login(account, password=NEW_PASSWORD)["access"]
    # Sessions from before the reset are over.
    problem(api.post(f"{AUTH}/refresh", {"refresh": old_session["refresh"]}, format="json"), 401)

    # The second use of the same link fails and changes nothing.
    again = confirm(api, reset, new_password="another-fresh-password-5")
    assert list(problem(again, 400)["errors"]) == ["token"]
    assert User.objects.get(pk=account.id).check_password(NEW_PASSWORD)


def test_an_expired_link_fails(api, account, reset, monkeypatch, settings):
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 5)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)

    assert list(problem(confirm(api, reset), 400)["errors"]) == ["token"]
    assert User.objects.get(pk=account.id).check_password(PASSWORD)


def test_a_link_just_before_expiry_works(api, account, reset, monkeypatch, settings):
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 30)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    assert confirm(api, reset).status_code == 204


def test_a_shorter_timeout_applies_to_links_already_sent(api, account, reset, settings):
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link is now older than the timeout
    problem(confirm(api, reset), 400)


@pytest.mark.parametrize("weak", ["short", "password123", "12345678901234", "alice@example.com"])
def test_weak_new_password_is_400_and_changes_nothing(api, account, reset, weak):
    response = confirm(api, reset, new_password=weak)
    assert list(problem(response, 400)["errors"]) == ["new_password"]
    user = User.objects.get(pk=account.id)
    assert user.check_password(PASSWORD)
    assert user.tokens_valid_after is None
    assert PasswordResetRequest.objects.get().used_at is None
    # The link was not spent by the failed try.
    assert confirm(api, reset).status_code == 204


def test_a_successful_login_spends_the_link(api, account, login, reset):
    """Django's reset tokens cover the last login: remembering the password ends the reset."""
    login(account)
    problem(confirm(api, reset), 400)
    assert User.objects.get(pk=account.id).check_password(PASSWORD)


def test_a_newer_password_change_spends_the_link(api, account, login):
    pair = login(account)
    assert ask(api, account.email).status_code == 202
    reset = reset_token(OutboxEvent.objects.get(event_type=EVENT))
    assert api.post(f"{AUTH}/password/change", {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
                    format="json", **bearer(pair["access"])).status_code == 204
    problem(confirm(api, reset, new_password="yet-another-password-8"), 400)


def test_a_link_is_for_its_own_account_only(api, account, register, reset):
    other = register(email="bob@example.com", username="bobby")
    ask(api, other.email)
    other_token = reset_token(OutboxEvent.objects.filter(event_type=EVENT).get(aggregate_id=other.id))
    # Alice's uid with Bob's secret is no link at all.
    forged = f"{reset.split(':')[0]}:{other_token.split(':')[1]}"
    problem(confirm(api, forged), 400)
    assert User.objects.get(pk=account.id).check_password(PASSWORD)


@pytest.mark.parametrize("token", [
    "garbage", ":", "abc:", ":abc", "not-base64!:abc-def", "MTIz:abc-def", "bm90LWEtdXVpZA:abc-def",
])
def test_garbage_tokens_are_400(api, account, token):
    assert list(problem(confirm(api, token), 400)["errors"]) == ["token"]


def test_reset_confirm_needs_both_fields(api):
    body = problem(api.post(f"{AUTH}/password/reset/confirm", {}, format="json"), 400)
    assert set(body["errors"]) == {"token", "new_password"}


def test_reset_with_an_invalid_email_is_400(api):
    assert "email" in problem(ask(api, "not-an-email"), 400)["errors"]
