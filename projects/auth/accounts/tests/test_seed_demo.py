"""The demo accounts (published password, a staff account) are never created in production."""

import dataclasses

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_production_and_creates_nothing(settings):
    settings.MARKETPLACE_CONFIG = dataclasses.replace(settings.MARKETPLACE_CONFIG, environment="production")

    with pytest.raises(CommandError, match="MARKETPLACE_ENV=production"):
        call_command("seed_demo")

    assert not User.objects.exists()


def test_seed_demo_creates_the_demo_accounts_in_development(capsys):
    call_command("seed_demo")
    assert User.objects.filter(username="demo_staff", is_staff=True).exists()
