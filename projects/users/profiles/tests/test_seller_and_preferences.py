import pytest

from marketplace_libs.testing import problem, published

from .conftest import USERS

SELLER = {"headline": "Backend developer, Django", "description": "Ten years of shipping web services for startups."}


def test_opening_a_seller_profile_publishes_the_activation_and_the_card(caller):
    me = caller()
    response = me.client.post(f"{USERS}/me/seller", SELLER, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["headline"] == SELLER["headline"]
    [activation] = published("user.seller_activated")
    assert activation["user_id"] == me.id and activation["username"] == me.username
    [card] = published("user.profile_updated")
    assert card["is_seller"] is True
    profile = me.client.get(f"{USERS}/me").json()
    assert profile["is_seller"] is True and profile["seller"]["headline"] == SELLER["headline"]


def test_opening_it_again_is_a_200_that_changes_nothing(caller):
    me = caller()
    me.client.post(f"{USERS}/me/seller", SELLER, format="json")
    again = me.client.post(f"{USERS}/me/seller", {**SELLER, "headline": "Another headline"}, format="json")
    assert again.status_code == 200
    assert again.json()["headline"] == SELLER["headline"]
    assert len(published("user.seller_activated")) == 1


@pytest.mark.parametrize("body, field", [
    ({"description": SELLER["description"]}, "headline"),
    ({"headline": "abc", "description": SELLER["description"]}, "headline"),
    ({"headline": SELLER["headline"], "description": "too short"}, "description"),
    ({"headline": SELLER["headline"], "description": "x" * 1201}, "description"),
    ({**SELLER, "rate": 50}, "rate"),
])
def test_bad_seller_input_is_a_400_and_opens_nothing(caller, body, field):
    me = caller()
    assert field in problem(me.client.post(f"{USERS}/me/seller", body, format="json"), 400)["errors"]
    assert me.client.get(f"{USERS}/me").json()["is_seller"] is False
    assert published("user.seller_activated") == []


def test_a_seller_edits_the_seller_profile_and_a_buyer_has_none_to_edit(caller):
    buyer, seller = caller(), caller()
    problem(buyer.client.patch(f"{USERS}/me/seller", {"headline": "Sudden seller"}, format="json"), 404)
    seller.client.post(f"{USERS}/me/seller", SELLER, format="json")
    edited = seller.client.patch(f"{USERS}/me/seller", {"headline": "Django and Celery"}, format="json")
    assert edited.status_code == 200 and edited.json()["headline"] == "Django and Celery"
    assert edited.json()["description"] == SELLER["description"]


def test_preferences_have_defaults_and_a_change_is_published(caller):
    me = caller()
    assert me.client.get(f"{USERS}/me/preferences").json() == {
        "email_notifications": True, "message_emails": True, "language": "en", "currency": "USD", "timezone": "UTC",
        "show_online_status": True}
    response = me.client.patch(f"{USERS}/me/preferences", {"message_emails": False, "currency": "EUR",
                                                           "timezone": "Europe/Paris"}, format="json")
    assert response.status_code == 200
    assert response.json()["currency"] == "EUR" and response.json()["message_emails"] is False
    [change] = published("user.preferences_updated")
    assert change == {"user_id": me.id, "email_notifications": True, "message_emails": False, "language": "en",
                      "currency": "EUR", "timezone": "Europe/Paris", "revision": 1}


@pytest.mark.parametrize("body, field", [
    ({"language": "english"}, "language"),
    ({"language": 7}, "language"),
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "usd"}, "currency"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"email_notifications": "perhaps"}, "email_notifications"),
    ({"show_online_status": "perhaps"}, "show_online_status"),
    ({"theme": "dark"}, "theme"),
])
def test_bad_preferences_are_a_400_and_change_nothing(caller, body, field):
    me = caller()
    before = me.client.get(f"{USERS}/me/preferences").json()
    assert field in problem(me.client.patch(f"{USERS}/me/preferences", body, format="json"), 400)["errors"]
    assert me.client.get(f"{USERS}/me/preferences").json() == before
    assert published("user.preferences_updated") == []
