"""Files through the gateway on the real servers, on the file-system default (docs/files.md says why):
uploads streamed to the services, downloads by signed links that the gateway checks and nginx serves."""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx
from PIL import Image
from websockets.sync.client import connect

from .support import assert_problem, become_seller, publish_event, publish_gig, wait_for
from .test_chat import frames_until, open_conversation, ws_url

ORDERS = "/api/orders"
CHAT = "/api/chat"
DEVELOPMENT_SECRET_KEY = "development-only-insecure-secret-key"
LINK_SALT = "marketplace.files.link"


def follow(gateway, response: httpx.Response) -> httpx.Response:
    """The 302 a download answers, followed as a browser would: no Authorization header on the link."""
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert urlsplit(location).path.startswith("/files/")
    return httpx.get(location, timeout=10)


def paid_order(platform, gateway, buyer, gig) -> dict:
    def place():
        response = gateway.post(f"{ORDERS}/", headers=buyer.auth(), json={"gig_id": gig["id"], "package": "basic"})
        return response.json() if response.status_code == 201 else None

    order = wait_for(place, interval=0.2, what="gig.created to reach the order service")
    publish_event(platform, "payment.succeeded", {
        "payment_id": str(uuid.uuid4()), "order_id": order["id"], "buyer_id": order["buyer_id"],
        "seller_id": order["seller_id"], "provider": "sandbox", "amount": order["total"],
        "currency": order["currency"], "succeeded_at": datetime.now(timezone.utc).isoformat()}, producer="payments")
    wait_for(lambda: gateway.get(f"{ORDERS}/{order['id']}/", headers=buyer.auth()).json()["status"] == "in_progress",
             interval=0.2, what="payment.succeeded to reach the order service")
    return order


def signer(platform):
    from django.core.signing import TimestampSigner

    secret = platform.env.get("MARKETPLACE_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
    return TimestampSigner(key=secret, salt=LINK_SALT, fallback_keys=[])


def test_the_seller_delivers_two_files_and_the_buyer_downloads_the_same_bytes(platform, gateway):
    seller = become_seller(platform, gateway, platform.log_in(gateway, platform.register(gateway)))
    buyer = platform.log_in(gateway, platform.register(gateway))
    stranger = platform.log_in(gateway, platform.register(gateway))
    gig = publish_gig(gateway, seller, f"I will letter your shop sign {uuid.uuid4().hex[:6]}")
    order = paid_order(platform, gateway, buyer, gig)

    # Over the gateway's usual 10 MB body limit: the upload routes take MARKETPLACE_MAX_UPLOAD_MB.
    contents = {"sign.pdf": b"%PDF-1.4\n" + bytes(range(256)) * (44 * 1024),
                "../../../etc/sign.html": b"<!doctype html><script>alert(document.cookie)</script>"}
    uploaded = []
    for name, data in contents.items():
        response = gateway.post(f"{ORDERS}/{order['id']}/files", headers=seller.auth(),
                                files={"file": (name, data, "image/png")})
        assert response.status_code == 201, response.text
        uploaded.append(response.json())
    assert len(contents["sign.pdf"]) > 10 * 1024 * 1024
    assert [(f["name"], f["content_type"]) for f in uploaded] == [("sign.pdf", "application/pdf"),
                                                                  ("sign.html", "text/html")]
    assert_problem(gateway.post(f"{CHAT}/conversations/{uuid.uuid4()}/messages/", headers=seller.auth(),
                                content=b"x" * (11 * 1024 * 1024)), 413)  # elsewhere, still 10 MB

    delivered = gateway.post(f"{ORDERS}/{order['id']}/deliver", headers=seller.auth(),
                             json={"message": "Both versions attached.", "file_ids": [f["id"] for f in uploaded]})
    assert delivered.status_code == 200, delivered.text
    timeline = gateway.get(f"{ORDERS}/{order['id']}/", headers=buyer.auth()).json()["timeline"]
    [delivery] = [entry for entry in timeline if entry["type"] == "delivered"]
    assert [f["id"] for f in delivery["files"]] == [f["id"] for f in uploaded]

    links = []
    for file, data in zip(uploaded, contents.values()):
        answer = gateway.get(f"{ORDERS}/{order['id']}/files/{file['id']}", headers=buyer.auth())
        fetched = follow(gateway, answer)
        assert fetched.status_code == 200
        assert hashlib.sha256(fetched.content).hexdigest() == file["sha256"] == hashlib.sha256(data).hexdigest()
        assert fetched.headers["X-Content-Type-Options"] == "nosniff"
        assert fetched.headers["Content-Type"] == "application/octet-stream"  # never rendered: PDF, HTML
        assert fetched.headers["Content-Disposition"].startswith("attachment;")
        assert fetched.headers["Cache-Control"].startswith("private")
        links.append(answer.headers["Location"])

    # A stranger: 404 for the order's files, and nothing in the body.
    for path in (f"{ORDERS}/{order['id']}/files", f"{ORDERS}/{order['id']}/files/{uploaded[0]['id']}"):
        assert_problem(gateway.get(path, headers=stranger.auth()), 404)
    # A tampered link: 404 and no bytes; an expired one (signed with the platform's own secret): 403.
    token = urlsplit(links[0]).path.removeprefix("/files/")
    tampered = httpx.get(f"{platform.base_url}/files/{token[:-2]}{'AA' if token[-2:] != 'AA' else 'BB'}")
    assert tampered.status_code == 404 and contents["sign.pdf"][:50] not in tampered.content
    fields = signer(platform).unsign_object(token)
    expired = signer(platform).sign_object({**fields, "e": int(time.time()) - 1}, compress=True)
    refused = httpx.get(f"{platform.base_url}/files/{expired}")
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json"
    # The stored files are not reachable by any path of their own.
    key = fields["n"]
    for path in (f"/_stored/orders/{key}", f"/media/orders/{key}", f"/media/{key}"):
        assert httpx.get(f"{platform.base_url}{path}").status_code == 404


def test_a_chat_attachment_arrives_over_the_socket_and_downloads(platform, gateway):
    a = platform.log_in(gateway, platform.register(gateway))
    b = platform.log_in(gateway, platform.register(gateway))
    conversation = open_conversation(gateway, a, b)
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (250, 120, 0)).save(picture, "PNG")
    uploaded = gateway.post(f"{CHAT}/conversations/{conversation['id']}/files", headers=a.auth(),
                            files={"file": ("mock-up.png", picture.getvalue(), "application/octet-stream")})
    assert uploaded.status_code == 201, uploaded.text
    file = uploaded.json()
    with connect(ws_url(platform.base_url, a.access)) as a_socket, connect(ws_url(platform.base_url, b.access)) as b_socket:
        a_socket.send(json.dumps({"type": "message.send", "conversation_id": conversation["id"],
                                  "body": "The mock-up", "file_ids": [file["id"]], "client_id": "files-1"}))
        message = frames_until(b_socket, "message.new")["message"]
    [attached] = message["files"]
    has_thumbnail = attached.pop("has_thumbnail")  # the worker may or may not have made it by now
    assert isinstance(has_thumbnail, bool)
    assert attached == {"id": file["id"], "name": "mock-up.png", "size": len(picture.getvalue()),
                        "content_type": "image/png"}
    fetched = follow(gateway, gateway.get(f"{CHAT}/conversations/{conversation['id']}/files/{file['id']}",
                                          headers=b.auth()))
    assert fetched.content == picture.getvalue()
    assert fetched.headers["Content-Type"] == "image/png"  # an image may be shown inline
    assert fetched.headers["Content-Disposition"].startswith("inline;")
    # The worker makes its thumbnail off the request path.
    thumbnail = wait_for(lambda: (lambda r: r if r.status_code == 302 else None)(
        gateway.get(f"{CHAT}/conversations/{conversation['id']}/files/{file['id']}/thumbnail", headers=b.auth())),
        what="the chat worker's thumbnail")
    with Image.open(io.BytesIO(follow(gateway, thumbnail).content)) as small:
        assert max(small.size) == 480


def test_gig_images_are_served_by_signed_links_only(platform, gateway):
    seller = become_seller(platform, gateway, platform.log_in(gateway, platform.register(gateway)))
    gig = publish_gig(gateway, seller, f"I will paint your portrait {uuid.uuid4().hex[:6]}")
    picture = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 30, 200)).save(picture, "PNG")
    added = gateway.post(f"/api/gigs/{gig['id']}/images/", headers=seller.auth(),
                         files={"image": ("me.png", picture.getvalue(), "image/png")})
    assert added.status_code == 201, added.text
    url = added.json()["url"]
    assert urlsplit(url).path.startswith("/files/")
    served = httpx.get(url)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (800, 600)
    name = signer(platform).unsign_object(urlsplit(url).path.removeprefix("/files/"))["n"]
    assert httpx.get(f"{platform.base_url}/media/gigs/{name}").status_code == 404
    shown = wait_for(lambda: gateway.get(f"/api/gigs/{gig['id']}/").json()["images"][0]["thumbnail_url"],
                     what="the gig worker's thumbnail")
    assert httpx.get(shown).status_code == 200
