"""An unverified buyer cannot check out (403 email_unverified); nothing is opened at the provider."""

from marketplace_libs.testing import problem

from payments.models import Payment

from .conftest import PAYMENTS, checkout


def test_an_unverified_buyer_cannot_check_out(place, client_for):
    order = place()
    unverified = client_for(user_id=order.buyer.id, username="late_verifier", email_verified=False)
    response = unverified.post(f"{PAYMENTS}/checkout", {"order_id": order.id}, format="json")
    assert problem(response, 403)["type"].endswith(":email_unverified")
    assert not Payment.objects.exists()
    # The same buyer with a token that says verified (after a refresh) checks out.
    assert checkout(order).status_code == 201
