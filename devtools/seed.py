"""Demo data through the public API of the running platform: sellers with gigs, buyers with orders in
every state, reviews and a conversation.

Through the gateway, like any client, so every service hears of it by its events exactly as in
production. Running it again adds nothing (each step checks first). The accounts themselves come
from the auth service's ``seed_demo`` (the staff account needs a flag no API grants), verified there:
demo addresses receive no mail, and ordering, publishing and chatting need a verified email.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import httpx

PASSWORD = "demo passphrase 2026"
SELLERS = {
    "sofia@demo.marketplace.local": {
        "profile": {"display_name": "Sofia Marin", "country": "ES", "languages": ["es", "en"],
                    "skills": ["Logo design", "Branding", "Illustration"],
                    "bio": "Brand designer in Valencia. Twelve years of logos for cafés, studios and start-ups."},
        "seller": {"headline": "Logos and brand identities that last",
                   "description": "I design logos, brand guides and packaging for small businesses."},
        "gigs": [
            ("I will design a minimalist logo for your brand", "logo-design", ["logo", "minimal", "branding"],
             [("basic", "One concept", "45.00", 3, 2), ("standard", "Three concepts", "95.00", 5, 3),
              ("premium", "Brand kit", "240.00", 10, "unlimited")]),
            ("I will create a complete brand style guide", "brand-style-guides", ["brand guide", "typography"],
             [("basic", "Essentials", "150.00", 7, 2), ("premium", "Full guide", "420.00", 14, 5)]),
        ],
    },
    "kenji@demo.marketplace.local": {
        "profile": {"display_name": "Kenji Watanabe", "country": "JP", "languages": ["ja", "en"],
                    "skills": ["Django", "PostgreSQL", "APIs", "Celery"],
                    "bio": "Backend engineer. I build and fix Django services that stay up."},
        "seller": {"headline": "Django backends, APIs and performance fixes",
                   "description": "REST APIs, Celery pipelines and PostgreSQL tuning for growing products."},
        "gigs": [
            ("I will build a REST API with Django and PostgreSQL", "backend-and-apis", ["django", "api", "python"],
             [("basic", "Small API", "300.00", 7, 2), ("standard", "Full API", "850.00", 14, 3)]),
            ("I will fix bugs in your Django or Python app", "bug-fixes", ["django", "python", "bugfix"],
             [("basic", "One bug", "60.00", 2, 1)]),
        ],
    },
    "amara@demo.marketplace.local": {
        "profile": {"display_name": "Amara Okafor", "country": "NG", "languages": ["en", "fr"],
                    "skills": ["Copywriting", "SEO", "Translation"],
                    "bio": "Copywriter and translator (English, French) for software companies."},
        "seller": {"headline": "Copy that converts, in English and French",
                   "description": "Landing pages, product descriptions and blog posts, researched and SEO-ready."},
        "gigs": [
            ("I will write SEO blog posts about software and tech", "articles-and-blog-posts", ["seo", "blog"],
             [("basic", "800 words", "70.00", 4, 1), ("standard", "1500 words", "120.00", 6, 2)]),
            ("I will translate your website from English to French", "translation", ["french", "translation"],
             [("basic", "Up to 1000 words", "55.00", 3, 1)]),
        ],
    },
}
BUYERS = ["alice@demo.marketplace.local", "bruno@demo.marketplace.local"]


class Seeder:
    def __init__(self, base_url: str, webhook_secret: str, release_earning):
        self.client = httpx.Client(base_url=base_url, timeout=15)
        self.secret = webhook_secret
        # Makes a completed order's earning available now (the payment service's release_earning command;
        # False while the completion has not reached it), so the demo shows an available balance and a
        # payout without waiting the clearance days.
        self.release_earning = release_earning
        self.tokens: dict[str, dict] = {}
        self.completed: list[str] = []  # order ids

    def log_in(self, email: str) -> dict:
        response = self.client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        session = response.json()
        me = self.client.get("/api/auth/me", headers=_auth(session)).json()
        session.update(id=me["id"], username=me["username"], roles=me["roles"])
        self.tokens[email] = session
        return session

    def refresh(self, email: str) -> dict:
        session = self.tokens[email]
        response = self.client.post("/api/auth/refresh", json={"refresh": session["refresh"]})
        response.raise_for_status()
        session.update(response.json())
        return session

    def wait(self, condition, what: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.3)
        raise SystemExit(f"seed: gave up waiting for {what} (are the workers running?)")

    def run(self) -> None:
        gigs: list[dict] = []
        for email, plan in SELLERS.items():
            session = self.log_in(email)
            self.client.patch("/api/users/me", headers=_auth(session), json=plan["profile"]).raise_for_status()
            self.client.post("/api/users/me/seller", headers=_auth(session), json=plan["seller"]).raise_for_status()
            self.wait(lambda: "seller" in _claims(self.refresh(email)["access"])["roles"], "the seller role")
            mine = self.client.get("/api/gigs/", params={"seller": session["username"], "page_size": 100}).json()
            existing = {gig["title"]: gig for gig in mine["results"]}
            for title, category, tags, packages in plan["gigs"]:
                gig = existing.get(title) or self._publish(session, title, category, tags, packages)
                gigs.append({**gig, "seller_email": email})
            print(f"  seller {session['username']:<14} {len(plan['gigs'])} gigs")
        for email in BUYERS:
            buyer = self.log_in(email)
            if self.client.get("/api/orders/", headers=_auth(buyer), params={"role": "buyer"}).json()["count"]:
                print(f"  buyer  {buyer['username']:<14} already has orders")
                continue
            self._orders_of(email, buyer, gigs)
        self._conversation(BUYERS[0], next(iter(SELLERS)))
        self._money()

    def _publish(self, session, title, category, tags, packages) -> dict:
        response = self.client.post("/api/gigs/", headers=_auth(session), json={
            "title": title, "category": category, "tags": tags, "status": "active",
            "description": f"{title}. Tell me about your project and I will send a plan before starting; "
                           "every package includes the source files and a round of questions.",
            "packages": [{"tier": tier, "title": name, "description": f"{name}.", "price": price, "currency": "USD",
                          "delivery_days": days, "revisions": revisions}
                         for tier, name, price, days, revisions in packages]})
        response.raise_for_status()
        return response.json()

    def _orders_of(self, email: str, buyer: dict, gigs: list[dict]) -> None:
        """Four orders: completed and reviewed (both ways, so published), delivered, in progress, waiting for
        payment."""
        offset = BUYERS.index(email)
        stages = ["completed", "delivered", "in_progress", "pending_payment"]
        for index, stage in enumerate(stages):
            gig = gigs[(index + offset * 2) % len(gigs)]
            seller = self.tokens[gig["seller_email"]]
            order = self.wait(lambda gig=gig: self._place(buyer, gig), "the gigs to reach the order service")
            if stage != "pending_payment":
                self._pay(buyer, order)
            if stage in ("delivered", "completed"):
                self.client.post(f"/api/orders/{order['id']}/deliver", headers=_auth(seller),
                                 json={"message": "Here is your delivery: the files are attached."}).raise_for_status()
            if stage == "completed":
                self.client.post(f"/api/orders/{order['id']}/accept", headers=_auth(buyer)).raise_for_status()
                self.completed.append(order["id"])
                self.wait(lambda order=order: _reviewed(self.client.post("/api/reviews/", headers=_auth(buyer), json={
                    "order_id": order["id"], "rating": 5 - offset,
                    "comment": "Clear communication and a great result, delivered on time."})),
                    "the completed order to reach the review service")
                # Reviews are double-blind: the seller's review of the buyer publishes both.
                self.wait(lambda order=order, seller=seller: _reviewed(self.client.post(
                    "/api/reviews/", headers=_auth(seller), json={
                        "order_id": order["id"], "rating": 5,
                        "comment": "A clear brief and quick answers: a pleasure to work with."})),
                    "the completed order to reach the review service")
        print(f"  buyer  {buyer['username']:<14} 4 orders (completed and reviewed both ways, delivered, in progress, "
              "unpaid)")

    def _place(self, buyer: dict, gig: dict) -> dict | None:
        response = self.client.post("/api/orders/", headers=_auth(buyer), json={
            "gig_id": gig["id"], "package": gig["packages"][0]["tier"],
            "requirements": "Please see the brief in our chat."})
        return response.json() if response.status_code == 201 else None

    def _pay(self, buyer: dict, order: dict) -> None:
        """Checkout, then the sandbox provider's signed webhook; back once the order is in progress."""
        payment = self.wait(lambda: _json_if(self.client.post("/api/payments/checkout", headers=_auth(buyer),
                                                              json={"order_id": order["id"]}), 200, 201),
                            "the order to reach the payment service")
        body = json.dumps({"id": f"seed_{uuid.uuid4().hex}", "type": "payment.succeeded",
                           "data": {"payment_id": payment["id"], "order_id": order["id"],
                                    "amount": payment["amount"], "currency": payment["currency"]}}).encode()
        stamp = int(time.time())
        signature = hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        self.client.post("/api/payments/webhooks/sandbox", content=body, headers={
            "Content-Type": "application/json", "X-Payment-Signature": f"t={stamp},v1={signature}"}).raise_for_status()
        self.wait(lambda: self.client.get(f"/api/orders/{order['id']}/", headers=_auth(buyer))
                  .json()["status"] == "in_progress", "the payment to reach the order service")

    def _money(self) -> None:
        """The completed orders' earnings cleared, and the first seller paid out part of theirs."""
        for order_id in self.completed:
            # True once the earning is available (released now, or cleared already by the scheduler); False
            # while order.completed has not reached the payment service.
            self.wait(lambda order_id=order_id: self.release_earning(order_id),
                      "the completed order's earning to reach the payment service")
        email = next(iter(SELLERS))
        seller = self.tokens[email]
        if self.client.get("/api/payments/payouts", headers=_auth(seller)).json()["count"]:
            print(f"  seller {seller['username']:<14} already has a payout")
            return

        def available():
            balances = self.client.get("/api/payments/balance", headers=_auth(seller)).json()["balances"]
            return next((row for row in balances if row["available"] != "0.00"), None)

        balance = self.wait(available, "the earnings to clear")
        self.client.post("/api/payments/payouts", headers=_auth(seller),
                         json={"amount": "20.00", "currency": balance["currency"]}).raise_for_status()
        print(f"  seller {seller['username']:<14} earnings cleared, a payout of 20.00 {balance['currency']}")

    def _conversation(self, buyer_email: str, seller_email: str) -> None:
        buyer, seller = self.tokens[buyer_email], self.tokens[seller_email]
        conversation = self.wait(lambda: _json_if(self.client.post(
            "/api/chat/conversations/", headers=_auth(buyer), json={"participant_id": seller["id"]}), 200, 201),
            "the users to reach the chat service")
        url = f"/api/chat/conversations/{conversation['id']}/messages/"
        for sender, body, key in ((buyer, "Hi! Could the logo also work in black and white?", "seed-1"),
                                  (seller, "Of course: every package includes a one-colour version.", "seed-2")):
            self.client.post(url, headers=_auth(sender), json={"body": body, "client_id": key}).raise_for_status()
        print(f"  chat   {buyer['username']} and {seller['username']}")


def _reviewed(response) -> bool:
    """Reviewed now or before (by this party); a 409 completion_pending means the completion is still on its way."""
    return response.status_code == 201 or (
        response.status_code == 409 and not response.json()["type"].endswith(":completion_pending"))


def _auth(session: dict) -> dict:
    return {"Authorization": f"Bearer {session['access']}"}


def _claims(token: str) -> dict:
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _json_if(response: httpx.Response, *statuses: int):
    return response.json() if response.status_code in statuses else None
