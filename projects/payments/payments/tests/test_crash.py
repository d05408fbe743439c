"""A worker killed between the provider's answer and the ledger write: after a restart the ledger is
right and nothing is applied twice.

The step runs in a real subprocess on this test's database. Its bootstrap (below, the test's own code)
wraps the sandbox provider's call so that the process dies with ``os._exit`` right after the provider
answered; the production code knows nothing of it. Then the step runs again normally."""

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from marketplace_libs.testing import deliver, published
from payments import services
from payments.models import Balance, LedgerTransaction, Payment, Payout, Refund
from payments.reconcile import reconcile

from .conftest import cancelled_event
from .test_payouts import give_available

PROJECT = Path(__file__).resolve().parents[2]
DIED = 17

BOOTSTRAP = textwrap.dedent("""
    import os, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    django.setup()
    from django.db import connections
    connections["default"].settings_dict["NAME"] = sys.argv[1]
    from payments.providers.sandbox import SandboxProvider
    method = sys.argv[2]
    answer_then_die = getattr(SandboxProvider, method)
    def dying(self, **kwargs):
        answer_then_die(self, **kwargs)
        os._exit({died})
    setattr(SandboxProvider, method, dying)
    exec(sys.argv[3])
""").format(died=DIED)


def run_and_die(method: str, step: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BOOTSTRAP, connection.settings_dict["NAME"], method, step],
                          cwd=PROJECT, env=os.environ.copy(), capture_output=True, text=True, timeout=60)


@pytest.mark.django_db(transaction=True)
def test_a_payout_worker_killed_after_the_transfer(party):
    seller = party("seller")
    give_available(seller.id, "100.00")
    payout = services.request_payout(seller_id=seller.id, amount=Decimal("40.00"), currency="USD")

    died = run_and_die("transfer", "from payments import tasks; tasks.pay_pending_payouts()")
    assert died.returncode == DIED, died.stderr
    assert Payout.objects.get().status == "pending"  # nothing of the dead run was kept

    assert services.pay_pending_payouts() == 1  # the restart: the same idempotency key, paid once
    assert services.pay_pending_payouts() == 0
    assert Payout.objects.get().status == "paid"
    assert LedgerTransaction.objects.filter(key=f"payout_paid:{payout.pk}").count() == 1
    balance = Balance.objects.get(user_id=seller.id)
    assert (balance.available, balance.in_transit, balance.withdrawn) == (Decimal("60.00"), 0, Decimal("40.00"))
    assert len(published("payout.paid")) == 1
    assert reconcile().ok


@pytest.mark.django_db(transaction=True)
def test_a_refund_worker_killed_after_the_refund(paid):
    order, payment = paid()
    cancellation = cancelled_event(order)
    step = textwrap.dedent(f"""
        from marketplace_libs.testing import deliver, event
        deliver(event("order.cancelled", {cancellation.data!r}, event_id={cancellation.id!r}))
    """)

    died = run_and_die("refund", step)
    assert died.returncode == DIED, died.stderr
    assert Payment.objects.get(pk=payment["id"]).status == "succeeded" and not Refund.objects.exists()

    assert deliver(cancellation) == {cancellation.id}  # the redelivery after the restart applies it
    assert deliver(cancellation) == set()
    assert Payment.objects.get(pk=payment["id"]).status == "refunded"
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert len(published("payment.refunded")) == 1
    assert reconcile().ok
