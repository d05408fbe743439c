"""The staff admin of email deliveries: a password reset's link, a live credential, is never shown."""

import pytest

from marketplace_libs.testing import deliver, event

from inbox.models import EmailDelivery

pytestmark = pytest.mark.django_db


def test_the_email_admin_never_shows_a_live_reset_link(user, staff_admin_client):
    ada = user("ada_admin")
    deliver(event("auth.password_reset_requested", {
        "user_id": ada.id, "email": ada.email, "username": ada.username,
        "reset_url": "http://127.0.0.1:8080/reset-password?token=MTIz:c5x-0f3c9a7b6e5d4c3b2a19",
        "expires_at": "2026-03-02T10:15:27Z"}))
    delivery = EmailDelivery.objects.get(kind="password_reset")
    page = staff_admin_client.get(f"/admin/notifications/inbox/emaildelivery/{delivery.pk}/change/")

    assert page.status_code == 200
    assert "c5x-0f3c9a7b6e5d4c3b2a19" not in page.content.decode()
    assert "reset-password?token=[redacted]" in page.content.decode()
    assert delivery.context["link"].endswith("c5x-0f3c9a7b6e5d4c3b2a19")  # still there for a resend
