"""Favourites: saving and unsaving gigs, their count, ``is_favourite``, and the price-drop event to savers."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace_libs.testing import problem, published
from catalog import services
from catalog.events import PRICE_DROP_USERS_PER_EVENT
from catalog.models import Favourite, Gig
from catalog.search import memo

from .conftest import GIGS, create_gig, package


@pytest.fixture
def seller(caller):
    return caller()


@pytest.fixture
def gig(seller):
    return create_gig(seller)


def save(user, gig_id, method="put"):
    return getattr(user.client, method)(f"{GIGS}/{gig_id}/favourite")


def detail(client, gig_id) -> dict:
    response = client.get(f"{GIGS}/{gig_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def saved_titles(user, **params) -> list[str]:
    response = user.client.get(f"{GIGS}/favourites/", params)
    assert response.status_code == 200, response.content
    return [gig["id"] for gig in response.json()["results"]]


# --- saving and unsaving ----------------------------------------------------------------------------

def test_saving_twice_saves_once_and_the_gig_says_so_to_its_saver_alone(caller, gig, api_client):
    buyer, other = caller(roles=("buyer",)), caller(roles=("buyer",))
    assert save(buyer, gig["id"]).status_code == 204
    assert save(buyer, gig["id"]).status_code == 204
    assert Favourite.objects.count() == 1
    assert detail(buyer.client, gig["id"])["favourites_count"] == 1
    assert detail(buyer.client, gig["id"])["is_favourite"] is True
    assert detail(other.client, gig["id"])["is_favourite"] is False
    assert detail(api_client, gig["id"])["is_favourite"] is None  # no caller
    assert detail(api_client, gig["id"])["favourites_count"] == 1


def test_unsaving_twice_unsaves_once(caller, gig):
    buyer, other = caller(roles=("buyer",)), caller(roles=("buyer",))
    save(buyer, gig["id"])
    save(other, gig["id"])
    assert save(buyer, gig["id"], "delete").status_code == 204
    assert save(buyer, gig["id"], "delete").status_code == 204
    assert detail(buyer.client, gig["id"])["favourites_count"] == 1
    assert detail(buyer.client, gig["id"])["is_favourite"] is False
    assert saved_titles(buyer) == [] and saved_titles(other) == [gig["id"]]


def test_unknown_draft_and_deleted_gigs_cannot_be_saved(caller, seller, gig):
    buyer = caller(roles=("buyer",))
    draft = create_gig(seller, status="draft")
    gone = create_gig(seller)
    assert seller.client.delete(f"{GIGS}/{gone['id']}/").status_code == 204
    for gig_id in (uuid.uuid4(), draft["id"], gone["id"]):
        problem(save(buyer, gig_id), 404)
        problem(save(buyer, gig_id, "delete"), 404)
    problem(save(seller, draft["id"]), 404)  # not public, even to its own seller
    assert not Favourite.objects.exists()
    assert Gig.objects.get(pk=draft["id"]).favourites_count == 0


def test_a_saved_gig_can_be_unsaved_whatever_became_of_it(caller, seller, gig):
    buyer = caller(roles=("buyer",))
    save(buyer, gig["id"])
    assert seller.client.delete(f"{GIGS}/{gig['id']}/").status_code == 204
    assert saved_titles(buyer) == []  # a deleted gig leaves the list
    assert save(buyer, gig["id"], "delete").status_code == 204
    assert Gig.objects.get(pk=gig["id"]).favourites_count == 0 and not Favourite.objects.exists()


def test_a_paused_gig_can_be_saved(caller, seller, gig):
    buyer = caller(roles=("buyer",))
    assert seller.client.patch(f"{GIGS}/{gig['id']}/", {"status": "paused"}, format="json").status_code == 200
    assert save(buyer, gig["id"]).status_code == 204
    assert saved_titles(buyer) == [gig["id"]]


def test_without_a_token_nothing_is_saved_or_listed(api_client, gig):
    problem(api_client.put(f"{GIGS}/{gig['id']}/favourite"), 401)
    problem(api_client.delete(f"{GIGS}/{gig['id']}/favourite"), 401)
    problem(api_client.get(f"{GIGS}/favourites/"), 401)


# --- the list of saved gigs ----------------------------------------------------------------------------

def test_the_list_is_the_callers_saved_gigs_newest_saved_first_in_pages(caller, seller):
    buyer, other = caller(roles=("buyer",)), caller(roles=("buyer",))
    gigs = [create_gig(seller, title=f"I will design logo number {index} for you") for index in range(3)]
    for gig in (gigs[1], gigs[0], gigs[2]):
        save(buyer, gig["id"])
    save(other, gigs[0]["id"])
    assert saved_titles(buyer) == [gigs[2]["id"], gigs[0]["id"], gigs[1]["id"]]
    page = buyer.client.get(f"{GIGS}/favourites/", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 3 and [gig["id"] for gig in page["results"]] == [gigs[1]["id"]]
    listed = buyer.client.get(f"{GIGS}/favourites/").json()["results"]
    assert all(gig["is_favourite"] is True for gig in listed)
    assert [gig["saved_at"] for gig in listed] == sorted((gig["saved_at"] for gig in listed), reverse=True)
    assert [gig["favourites_count"] for gig in listed] == [1, 2, 1]
    assert saved_titles(other) == [gigs[0]["id"]]
    problem(buyer.client.get(f"{GIGS}/favourites/", {"page": 9}), 404)


def test_search_pages_say_which_gigs_the_caller_saved_with_one_query_whatever_their_size(caller, seller):
    buyer = caller(roles=("buyer",))
    gigs = [create_gig(seller, title=f"I will design logo number {index} for you") for index in range(6)]
    for gig in gigs[::2]:
        save(buyer, gig["id"])

    def listed(page_size):
        memo.forget_all()  # each page computed whole: the search keeps its summary and page ids between calls
        with CaptureQueriesContext(connection) as queries:
            response = buyer.client.get(f"{GIGS}/", {"page_size": page_size})
        assert response.status_code == 200, response.content
        return response.json()["results"], len(queries)

    small, small_queries = listed(2)
    everything, queries = listed(6)
    assert queries == small_queries  # not a query per gig
    saved = {gig["id"] for gig in gigs[::2]}
    assert {gig["id"]: gig["is_favourite"] for gig in everything} == {gig["id"]: gig["id"] in saved for gig in gigs}
    assert {gig["id"]: gig["favourites_count"] for gig in everything} == {
        gig["id"]: int(gig["id"] in saved) for gig in gigs}


def test_anonymous_search_pages_carry_counts_and_read_no_favourites(api_client, caller, gig):
    save(caller(roles=("buyer",)), gig["id"])
    with CaptureQueriesContext(connection) as queries:
        [listed] = api_client.get(f"{GIGS}/").json()["results"]
    assert listed["favourites_count"] == 1 and listed["is_favourite"] is None
    assert not any("catalog_favourite" in query["sql"] for query in queries.captured_queries)


# --- concurrent saves and unsaves (real PostgreSQL, real threads) ----------------------------------

def _race(calls) -> None:
    def attempt(call):
        try:
            call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        list(pool.map(attempt, calls))


@pytest.mark.django_db(transaction=True)
def test_the_count_stays_the_number_of_saves_under_concurrent_saves_and_unsaves(seller):
    gig = create_gig(seller)
    users = [str(uuid.uuid4()) for _ in range(8)]
    # Every user saves four times at once...
    _race([lambda user=user: services.save_favourite(user_id=user, gig_id=gig["id"]) for user in users] * 4)
    assert Gig.objects.get(pk=gig["id"]).favourites_count == Favourite.objects.count() == 8
    # ...then half unsave three times at once while the others save again.
    _race([lambda user=user: services.remove_favourite(user_id=user, gig_id=gig["id"]) for user in users[:4]] * 3
          + [lambda user=user: services.save_favourite(user_id=user, gig_id=gig["id"]) for user in users[4:]] * 3)
    assert Gig.objects.get(pk=gig["id"]).favourites_count == Favourite.objects.count() == 4
    # Saves and unsaves of the same users interleaved: whatever wins, the count is the rows.
    _race([lambda user=user: services.save_favourite(user_id=user, gig_id=gig["id"]) for user in users] * 3
          + [lambda user=user: services.remove_favourite(user_id=user, gig_id=gig["id"]) for user in users] * 3)
    assert Gig.objects.get(pk=gig["id"]).favourites_count == Favourite.objects.count()


# --- a saved gig's price dropped ----------------------------------------------------------------------------

def _reprice(seller, gig, *prices, currency="USD", **changes):
    tiers = ("basic", "standard", "premium")
    packages = [package(tier, price, currency=currency) for tier, price in zip(tiers, prices)]
    response = seller.client.patch(f"{GIGS}/{gig['id']}/", {"packages": packages, **changes}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_lower_starting_price_tells_the_savers_once_and_not_the_seller(caller, seller, gig):
    savers = [caller(roles=("buyer",)) for _ in range(2)]
    for saver in savers:
        save(saver, gig["id"])
    save(seller, gig["id"])  # the seller may save their own gig; they are not told of their own change
    assert gig["price_from"] == "40.00"
    _reprice(seller, gig, "35.00", "180.00")
    [dropped] = published("gig.price_dropped")
    assert dropped["gig_id"] == gig["id"] and dropped["seller_id"] == seller.id
    assert (dropped["old_price"], dropped["new_price"], dropped["currency"]) == ("40.00", "35.00", "USD")
    assert dropped["user_ids"] == sorted(saver.id for saver in savers)
    assert (dropped["part"], dropped["parts"]) == (1, 1) and dropped["title"] == gig["title"]


@pytest.mark.parametrize("prices, changes", [
    (("40.00", "150.00"), {}),  # a dearer package only: the starting price is the same
    (("45.00", "180.00"), {}),  # dearer
    (("30.00",), {"status": "paused"}),  # lower, but not on sale
    (("30.00",), {"currency": "EUR"}),  # another currency is not a drop
])
def test_no_drop_no_event(caller, seller, gig, prices, changes):
    save(caller(roles=("buyer",)), gig["id"])
    currency = changes.pop("currency", "USD")
    _reprice(seller, gig, *prices, currency=currency, **changes)
    assert published("gig.price_dropped") == []


def test_a_drop_on_a_gig_nobody_saved_tells_nobody(seller, gig):
    _reprice(seller, gig, "20.00")
    assert published("gig.price_dropped") == []


def test_many_savers_are_told_in_parts(seller, gig):
    savers = sorted(str(uuid.uuid4()) for _ in range(2 * PRICE_DROP_USERS_PER_EVENT + 1))
    Favourite.objects.bulk_create(Favourite(user_id=user_id, gig_id=gig["id"]) for user_id in savers)
    _reprice(seller, gig, "39.00")
    parts = published("gig.price_dropped")
    assert [(event["part"], event["parts"]) for event in parts] == [(1, 3), (2, 3), (3, 3)]
    assert [len(event["user_ids"]) for event in parts] == [PRICE_DROP_USERS_PER_EVENT] * 2 + [1]
    assert [user for event in parts for user in event["user_ids"]] == savers
