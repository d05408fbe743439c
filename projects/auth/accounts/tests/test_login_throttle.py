"""Failed logins are counted per (account, address), per address, and per account from all addresses."""

import time

import pytest

from marketplace_libs import tokens

from .conftest import AUTH, PASSWORD, problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(login_limits):
    return login_limits


def attempt(api, email: str, password: str, address: str = "203.0.113.10"):
    # The test client connects from 127.0.0.1, a trusted proxy, so X-Real-IP names the caller.
    return api.post(f"{AUTH}/login", {"email": email, "password": password}, format="json",
                    HTTP_X_REAL_IP=address)


def fail(api, email: str, times: int, address: str = "203.0.113.10"):
    for _ in range(times):
        assert attempt(api, email, "wrong-password-guess", address).status_code == 401


def test_five_failures_lock_that_address_out_of_the_account_even_for_the_right_password(api, account):
    fail(api, account.email, 5)

    response = attempt(api, account.email, PASSWORD)

    body = problem(response, 429)
    assert body["type"] == "urn:marketplace:problem:rate_limited"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 15 * 60 + 1
    assert retry_after > 15 * 60 - 60


def test_four_failures_do_not_lock(api, account):
    fail(api, account.email, 4)
    assert attempt(api, account.email, PASSWORD).status_code == 200


def test_a_success_clears_the_account_s_count(api, account):
    fail(api, account.email, 4)
    assert attempt(api, account.email, PASSWORD).status_code == 200
    fail(api, account.email, 4)
    assert attempt(api, account.email, PASSWORD).status_code == 200


def test_a_stranger_s_failures_do_not_lock_the_owner_out(api, account):
    fail(api, account.email, 5, address="203.0.113.10")
    problem(attempt(api, account.email, PASSWORD, address="203.0.113.10"), 429)

    assert attempt(api, account.email, PASSWORD, address="198.51.100.7").status_code == 200


@pytest.mark.parametrize("spelling", ["ALICE@example.com ", "alice@EXAMPLE.com", "ａlice@example.com"])
def test_the_pair_lock_holds_for_every_spelling(api, account, spelling):
    fail(api, account.email, 5)
    problem(attempt(api, spelling, PASSWORD), 429)


def test_look_alikes_share_the_account_s_counter_and_login(api, register):
    # "ſ" (long s) is "s" to NFKC and to PostgreSQL's UPPER: it must not buy a counter of its own.
    sam = register(email="sam@example.com", username="sammy")
    fail(api, "ſam@example.com", 3)
    fail(api, "SAM@example.com", 2)
    problem(attempt(api, sam.email, PASSWORD), 429)
    problem(attempt(api, "ſam@example.com", PASSWORD), 429)


def test_a_look_alike_logs_in_as_the_account_it_folds_to(api, register):
    sam = register(email="sam@example.com", username="sammy")
    response = attempt(api, "ſam@ＥＸＡＭＰＬＥ.com", PASSWORD)
    assert response.status_code == 200
    assert tokens.get_verifier().verify(response.json()["access"]).user_id == sam.id


def test_a_dotless_i_is_another_address_not_the_account(api, register):
    # "ı" folds to itself in Python but to "I" in PostgreSQL's UPPER: the lookup must not match "i".
    register(email="tim@example.com", username="timmy")
    assert attempt(api, "tım@example.com", PASSWORD).status_code == 401


def test_many_addresses_lock_the_account_briefly_for_everyone(api, account, limits):
    limits.LOGIN_FAILURES_PER_ACCOUNT = 12
    for number in range(4):  # each address stays within its own limit of 5
        fail(api, account.email, 3, address=f"192.0.2.{number + 1}")

    response = attempt(api, account.email, PASSWORD, address="198.51.100.7")
    problem(response, 429)
    assert 50 <= int(response["Retry-After"]) <= 61


def test_each_account_lock_of_the_day_lasts_twice_as_long(api, account, limits):
    limits.LOGIN_FAILURES_PER_ACCOUNT = 4
    limits.LOGIN_ACCOUNT_LOCK_SECONDS = 1
    fail(api, account.email, 4, address="192.0.2.1")
    first = int(attempt(api, account.email, PASSWORD, address="198.51.100.7")["Retry-After"])
    time.sleep(1.2)
    assert attempt(api, account.email, PASSWORD, address="198.51.100.7").status_code == 200

    fail(api, account.email, 4, address="192.0.2.2")
    second = attempt(api, account.email, PASSWORD, address="198.51.100.7")
    problem(second, 429)
    assert first <= 2 and int(second["Retry-After"]) >= 2
    time.sleep(1.2)
    problem(attempt(api, account.email, PASSWORD, address="198.51.100.7"), 429)


def test_the_pair_lock_of_one_account_leaves_others_alone(api, account, register):
    bob = register(email="bob@example.com", username="bobby")
    fail(api, account.email, 5, address="203.0.113.10")
    assert attempt(api, bob.email, PASSWORD, address="203.0.113.10").status_code == 200


def test_failures_on_an_unknown_email_are_counted_too(api):
    fail(api, "nobody@example.com", 5)
    problem(attempt(api, "nobody@example.com", "whatever-password"), 429)


def test_one_address_trying_many_accounts_hits_the_address_limit(api, account, limits):
    limits.LOGIN_FAILURES_PER_ADDRESS = 3
    for number in range(3):
        fail(api, f"victim{number}@example.com", 1, address="192.0.2.66")

    # Alice's right password from that address is refused, with the wait...
    response = attempt(api, account.email, PASSWORD, address="192.0.2.66")
    problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    # ...while Alice herself, from her own address, is not locked out.
    assert attempt(api, account.email, PASSWORD, address="198.51.100.7").status_code == 200


def test_a_success_does_not_clear_the_address_count(api, account, limits):
    limits.LOGIN_FAILURES_PER_ADDRESS = 3
    fail(api, "victim@example.com", 2, address="192.0.2.66")
    assert attempt(api, account.email, PASSWORD, address="192.0.2.66").status_code == 200
    fail(api, "victim2@example.com", 1, address="192.0.2.66")
    problem(attempt(api, account.email, PASSWORD, address="192.0.2.66"), 429)


def test_refused_attempts_do_not_extend_the_lock(api, account, limits):
    limits.LOGIN_FAILURE_WINDOW_SECONDS = 60
    fail(api, account.email, 5)
    first = int(attempt(api, account.email, PASSWORD)["Retry-After"])
    for _ in range(5):
        attempt(api, account.email, "wrong-password-guess")
    assert int(attempt(api, account.email, PASSWORD)["Retry-After"]) <= first


def test_the_lock_ends_with_its_window_and_a_new_window_locks_again(api, account, limits):
    limits.LOGIN_FAILURE_WINDOW_SECONDS = 1
    fail(api, account.email, 5)
    problem(attempt(api, account.email, PASSWORD), 429)

    time.sleep(1.5)

    # The window is over: guessing starts from zero, and is limited again.
    fail(api, account.email, 5)
    problem(attempt(api, account.email, PASSWORD), 429)
