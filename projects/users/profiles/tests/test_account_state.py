"""Account state comes from the auth service: its ``user.deactivated`` and ``user.reactivated``."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace_libs.events import registry
from marketplace_libs.testing import deliver, problem
from profiles.models import Profile

from .conftest import USERS, deactivated, reactivated, registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(caller):
    person = caller()
    deliver(registered(person.id, person.username))
    return person


def test_the_worker_binds_the_account_events():
    assert {"user.deactivated", "user.reactivated"} <= set(registry.subscriptions())


def test_a_deactivation_hides_the_profile_and_a_reactivation_shows_it(member, api_client):
    deliver(deactivated(member.id, reason="Spam reported by several buyers"))

    profile = Profile.objects.get(user_id=member.id)
    assert not profile.is_active and profile.deactivation_reason == "Spam reported by several buyers"
    problem(api_client.get(f"{USERS}/{member.username}"), 404)

    deliver(reactivated(member.id))

    profile.refresh_from_db()
    assert profile.is_active and profile.deactivation_reason == ""
    assert api_client.get(f"{USERS}/{member.username}").status_code == 200


def test_a_late_older_deactivation_does_not_hide_a_reactivated_profile(member):
    now = timezone.now()
    deliver(reactivated(member.id, at=now))  # the newer event happens to arrive first

    deliver(deactivated(member.id, at=now - timedelta(minutes=5)))

    assert Profile.objects.get(user_id=member.id).is_active


def test_a_late_older_reactivation_does_not_show_a_deactivated_profile(member):
    now = timezone.now()
    deliver(deactivated(member.id, at=now))

    deliver(reactivated(member.id, at=now - timedelta(minutes=5)))

    assert not Profile.objects.get(user_id=member.id).is_active
