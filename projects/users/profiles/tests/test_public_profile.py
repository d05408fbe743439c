from marketplace_libs.testing import deliver, problem
from profiles.models import Profile

from .conftest import USERS, deactivated, registered


def test_anyone_sees_a_public_profile_by_username_whatever_its_case(caller, api_client):
    owner = caller()
    deliver(registered(owner.id, owner.username, "private@example.com"))
    owner.client.patch(f"{USERS}/me", {"display_name": "Grace"}, format="json")
    owner.client.post(f"{USERS}/me/seller", {"headline": "Compilers", "description": "I write compilers for a living."},
                      format="json")
    response = api_client.get(f"{USERS}/{owner.username.upper()}")
    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "Grace" and body["seller"]["headline"] == "Compilers"
    assert "preferences" not in body and "email" not in body
    assert "private@example.com" not in response.content.decode()
    assert body["buyer_stats"] == {"rating_avg": None, "rating_count": 0}


def test_an_unknown_or_deactivated_user_is_a_404(caller, api_client):
    problem(api_client.get(f"{USERS}/nobody_here"), 404)
    owner = caller()
    owner.client.get(f"{USERS}/me")
    deliver(deactivated(owner.id))
    problem(api_client.get(f"{USERS}/{owner.username}"), 404)


def test_nobody_can_change_someone_elses_profile(caller):
    owner, other = caller(), caller()
    owner.client.patch(f"{USERS}/me", {"display_name": "Owner"}, format="json")
    for method in ("patch", "put", "post", "delete"):
        response = getattr(other.client, method)(f"{USERS}/{owner.username}", {"display_name": "Hijacked"},
                                                  format="json")
        problem(response, 405)
    assert Profile.objects.get(user_id=owner.id).display_name == "Owner"


def test_a_bad_token_on_a_public_profile_is_refused(caller, api_client):
    owner = caller()
    owner.client.get(f"{USERS}/me")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    problem(api_client.get(f"{USERS}/{owner.username}"), 401)
