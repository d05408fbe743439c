"""The seller card beside each gig, kept from the user service's ``user.profile_updated``: the name and
the seller level, newest revision first."""

from marketplace_libs.testing import deliver, event

from .conftest import create_gig


def card(user_id: str, username: str, *, revision: int, level: str | None = None, display_name: str = "") -> object:
    data = {"user_id": user_id, "username": username, "display_name": display_name, "avatar_url": None,
            "country": "", "is_seller": True, "revision": revision, "updated_at": "2026-05-12T14:03:00Z"}
    if level is not None:
        data["level"] = level
    return event("user.profile_updated", data)


def test_the_seller_card_carries_the_level_and_a_late_older_card_changes_nothing(caller, client):
    seller = caller()
    gig = create_gig(seller)
    deliver(card(seller.id, seller.username, revision=3, level="level_two", display_name="Ada"))
    deliver(card(seller.id, seller.username, revision=2, level="level_one", display_name="Old name"))
    shown = client.get(f"/api/gigs/{gig['id']}/").json()["seller"]
    assert shown == {"id": seller.id, "username": seller.username, "display_name": "Ada", "level": "level_two"}
    listed = client.get("/api/gigs/", {"seller": seller.username}).json()["results"]
    assert [entry["seller"]["level"] for entry in listed] == ["level_two"]


def test_a_card_from_before_levels_keeps_the_level_known(caller, client):
    seller = caller()
    gig = create_gig(seller)
    deliver(card(seller.id, seller.username, revision=1, level="top_rated"))
    deliver(card(seller.id, seller.username, revision=2, display_name="Renamed"))  # no level in it
    shown = client.get(f"/api/gigs/{gig['id']}/").json()["seller"]
    assert (shown["display_name"], shown["level"]) == ("Renamed", "top_rated")
