"""A client generated from the schemas alone (openapi-python-client) runs a buyer's and a seller's journey.

The clients are generated at test time from the schemas the gateway serves, into a temporary directory:
if a schema does not describe what its service answers (a page documented as an array, a nested object
left untyped, an undocumented status), the typed client fails to parse it here.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from .support import PASSWORD, User, paid_order

SERVICES = ("auth", "users", "gigs", "orders", "reviews")


@pytest.fixture(scope="module")
def api(platform, tmp_path_factory):
    """``api.<service>`` is the generated package of each service (``auth_api``...)."""
    root = tmp_path_factory.mktemp("generated")
    generator = Path(sys.executable).with_name("openapi-python-client")
    packages = {}
    for service in SERVICES:
        schema = root / f"{service}.json"
        schema.write_bytes(httpx.get(f"{platform.base_url}/api/{service}/schema/?format=json").content)
        config = root / f"{service}.yaml"
        # No post hooks: the generator would run ruff over the code, which the tests do not need.
        config.write_text(f"package_name_override: {service}_api\nproject_name_override: {service}-api\n"
                          "post_hooks: []\n")
        subprocess.run([str(generator), "generate", "--path", str(schema), "--config", str(config), "--meta", "none",
                        "--output-path", str(root / f"{service}_api")], check=True, capture_output=True, text=True)
    sys.path.insert(0, str(root))
    try:
        for service in SERVICES:
            packages[service] = importlib.import_module(f"{service}_api")
        yield type("GeneratedApi", (), packages)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] in {f"{s}_api" for s in SERVICES}]:
            del sys.modules[name]


def _call(module_path: str, **kwargs):
    """``<package>.api.<tag>.<operation>.sync_detailed(**kwargs)``: the typed response."""
    return importlib.import_module(module_path).sync_detailed(**kwargs)


def _until(attempt, *, what: str, timeout: float = 20):
    """Retry what the API answers as temporary (409 with Retry-After), as the client guide says."""
    deadline = time.monotonic() + timeout
    while True:
        response = attempt()
        if response.status_code != 409:
            return response
        assert time.monotonic() < deadline, f"still 409 after {timeout} s: {what}"
        time.sleep(min(float(response.headers.get("retry-after", "1")), 1.0))


def test_every_generated_operation_imports(api):
    import pkgutil

    for service in SERVICES:
        operations = getattr(api, service).__name__ + ".api"
        for module in pkgutil.walk_packages(importlib.import_module(operations).__path__, operations + "."):
            importlib.import_module(module.name)


def test_a_generated_client_runs_a_buyer_and_a_seller_journey(platform, api):
    from auth_api import Client
    from auth_api.models import EmailVerifyInputRequest, LoginInputRequest, RefreshInputRequest, RegisterInputRequest
    from gigs_api.models import (
        CurrencyEnum, GigInputRequest, GigOutput, PackageInputRequest, PaginatedGigSummaryOutputList, StatusEnum,
        TierEnum,
    )
    from orders_api.models import MessageInputRequest, OrderOutput, PackageEnum, PlaceOrderInputRequest
    from reviews_api.models import DirectionEnum, PaginatedReviewOutputList, ReviewInputRequest, ReviewOutput
    from reviews_api.models import StatusEnum as ReviewStatusEnum
    from users_api.models import SellerInputRequest, SellerOutput

    anonymous = Client(base_url=platform.base_url, raise_on_unexpected_status=True)

    def account(name: str):
        tag = uuid.uuid4().hex[:8]
        email = f"{name}-{tag}@example.com"
        created = _call("auth_api.api.register.register_create", client=anonymous, body=RegisterInputRequest(
            email=email, username=f"{name}_{tag}", password=PASSWORD))
        assert created.status_code == 201, created.content
        # The link of the verification email, posted as the page it opens would.
        token = platform.verification_token(User(email=email, username=f"{name}_{tag}", password=PASSWORD))
        verified = _call("auth_api.api.email.email_verify_create", client=anonymous,
                         body=EmailVerifyInputRequest(token=token))
        assert verified.status_code == 204, verified.content
        pair = _call("auth_api.api.login.login_create", client=anonymous,
                     body=LoginInputRequest(email=email, password=PASSWORD)).parsed
        return pair

    def as_user(pair, package):
        return importlib.import_module(package).AuthenticatedClient(base_url=platform.base_url, token=pair.access,
                                                                    raise_on_unexpected_status=True)

    # The seller: a seller profile, a token that carries the role, a gig.
    seller = account("seller")
    opened = _call("users_api.api.me.me_seller_create", client=as_user(seller, "users_api"),
                   body=SellerInputRequest(headline="Logo designer, ten years of brands",
                                           description="I design clean, memorable logos for small businesses."))
    assert opened.status_code == 201 and isinstance(opened.parsed, SellerOutput)
    deadline = time.monotonic() + 20
    while "seller" not in _call("auth_api.api.me.me_retrieve", client=as_user(seller, "auth_api")).parsed.roles:
        assert time.monotonic() < deadline, "the seller role did not reach the auth service"
        time.sleep(0.3)
        seller = _call("auth_api.api.refresh.refresh_create", client=anonymous,
                       body=RefreshInputRequest(refresh=seller.refresh)).parsed
    seller = _call("auth_api.api.refresh.refresh_create", client=anonymous,
                   body=RefreshInputRequest(refresh=seller.refresh)).parsed
    created = _call("gigs_api.api.gigs.gigs_create", client=as_user(seller, "gigs_api"), body=GigInputRequest(
        title="I will design a minimalist logo for your brand", category="logo-design", status=StatusEnum.ACTIVE,
        description="A clean, memorable logo in three concepts, delivered as SVG and PNG, with revisions.",
        tags=["logo"], packages=[
            PackageInputRequest(tier=TierEnum.BASIC, title="One concept", price="25.00", currency=CurrencyEnum.USD,
                                delivery_days=3, revisions=1),
            PackageInputRequest(tier=TierEnum.STANDARD, title="Three concepts", price="60.00",
                                currency=CurrencyEnum.USD, delivery_days=5, revisions="unlimited"),
        ]))
    assert created.status_code == 201, created.content
    gig = created.parsed
    assert isinstance(gig, GigOutput) and gig.packages[1].revisions == "unlimited" and gig.description

    # The buyer: finds the gig on a typed page, orders it, pays (the provider's webhook), gets the work.
    buyer = account("buyer")
    page = _call("gigs_api.api.gigs.gigs_list", client=as_user(buyer, "gigs_api"), seller=str(gig.seller.id))
    assert isinstance(page.parsed, PaginatedGigSummaryOutputList) and page.parsed.count == 1
    assert page.parsed.results[0].id == gig.id and page.parsed.facets.categories[0].slug == "logo-design"

    def place():
        return _call("orders_api.api.orders.orders_create", client=as_user(buyer, "orders_api"),
                     body=PlaceOrderInputRequest(gig_id=gig.id, package=PackageEnum.STANDARD,
                                                 requirements="Green and gold, please."))

    placed = _until(place, what="gig.created to reach the order service")
    assert placed.status_code == 201 and isinstance(placed.parsed, OrderOutput)
    order = placed.parsed
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        bearer = SimpleNamespace(auth=lambda: {"Authorization": f"Bearer {buyer.access}"})
        paid = paid_order(platform, client, bearer, {"id": str(order.id)})
    assert paid["status"] == "in_progress" and paid["total"] == order.total
    delivered = _call("orders_api.api.deliver.deliver_create", client=as_user(seller, "orders_api"),
                      order_id=order.id, body=MessageInputRequest(message="Three concepts attached."))
    assert delivered.parsed.status == "delivered"
    accepted = _call("orders_api.api.accept.accept_create", client=as_user(buyer, "orders_api"),
                     order_id=order.id)
    assert accepted.parsed.status == "completed"

    # The review: 409 with Retry-After until order.completed reaches the review service.
    reviewed = _until(lambda: _call("reviews_api.api.reviews.reviews_create", client=as_user(buyer, "reviews_api"),
                                    body=ReviewInputRequest(order_id=order.id, rating=5, comment="Exactly right.")),
                      what="order.completed to reach the review service")
    assert reviewed.status_code == 201 and isinstance(reviewed.parsed, ReviewOutput)
    assert reviewed.parsed.status == ReviewStatusEnum.HIDDEN  # double-blind: until the seller has reviewed the buyer
    hidden = _call("reviews_api.api.reviews.reviews_list", client=anonymous, gig_id=gig.id)
    assert isinstance(hidden.parsed, PaginatedReviewOutputList) and hidden.parsed.count == 0
    by_seller = _call("reviews_api.api.reviews.reviews_create", client=as_user(seller, "reviews_api"),
                      body=ReviewInputRequest(order_id=order.id, rating=5, comment="Clear brief, quick answers."))
    assert by_seller.parsed.direction == DirectionEnum.SELLER_TO_BUYER
    assert by_seller.parsed.status == ReviewStatusEnum.PUBLISHED
    reviews = _call("reviews_api.api.reviews.reviews_list", client=as_user(buyer, "reviews_api"), gig_id=gig.id)
    assert isinstance(reviews.parsed, PaginatedReviewOutputList) and reviews.parsed.results[0].rating == 5
