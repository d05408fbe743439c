"""Staff in the user service's admin (signed in through the auth service's cookie)."""

import pytest

from marketplace_libs.testing import deliver, published
from profiles.models import Profile

from .conftest import USERS, registered


@pytest.fixture
def staff_client(staff_admin_client):
    return staff_admin_client


@pytest.fixture
def profiles(caller):
    people = []
    for name, email in (("alice_admin", "alice@example.com"), ("bob_admin", "bob@example.org")):
        person = caller(username=name)
        deliver(registered(person.id, name, email))
        people.append(person)
    people[1].client.post(f"{USERS}/me/seller", {"headline": "Logo design", "description": "Logos that people remember."},
                          format="json")
    return people


def test_staff_find_users_by_username_or_email_and_filter_sellers(staff_client, profiles):
    page = staff_client.get("/admin/users/profiles/profile/", {"q": "example.org"}).content.decode()
    assert "bob_admin" in page and "alice_admin" not in page
    page = staff_client.get("/admin/users/profiles/profile/", {"seller": "yes"}).content.decode()
    assert "bob_admin" in page and "alice_admin" not in page


def test_account_state_is_not_written_here(staff_client, profiles):
    # The auth admin deactivates and reactivates (one write path, which also cuts the tokens off).
    page = staff_client.get("/admin/users/profiles/profile/").content.decode()
    assert "deactivate" not in page.lower() and "reactivate" not in page.lower()
    response = staff_client.post("/admin/users/profiles/profile/",
                                 {"action": "deactivate_accounts", "_selected_action": [profiles[0].id]})
    assert Profile.objects.get(user_id=profiles[0].id).is_active is True
    assert response.status_code in (200, 302) and published("user.deactivated") == []


def test_an_edit_of_what_others_show_is_published(staff_client, profiles):
    alice = profiles[0]
    url = f"/admin/users/profiles/profile/{alice.id}/change/"
    form = {"display_name": "Alice (verified)", "bio": "", "country": "FR", "languages": "[]", "skills": "[]",
            "seller-TOTAL_FORMS": "0", "seller-INITIAL_FORMS": "0", "preferences-TOTAL_FORMS": "1",
            "preferences-INITIAL_FORMS": "1", "preferences-0-profile": alice.id}
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    [card] = [card for card in published("user.profile_updated") if card["user_id"] == alice.id]
    assert card["display_name"] == "Alice (verified)" and card["country"] == "FR"


def test_a_bad_country_from_staff_is_refused_by_the_form(staff_client, profiles):
    alice = profiles[0]
    response = staff_client.post(f"/admin/users/profiles/profile/{alice.id}/change/", {
        "display_name": "A", "bio": "", "country": "ZZ", "languages": "[]", "skills": "[]",
        "seller-TOTAL_FORMS": "0", "seller-INITIAL_FORMS": "0", "preferences-TOTAL_FORMS": "1",
        "preferences-INITIAL_FORMS": "1", "preferences-0-profile": alice.id})
    assert response.status_code == 200 and "ISO 3166-1" in response.content.decode()
    assert not [card for card in published("user.profile_updated") if card["user_id"] == alice.id]
