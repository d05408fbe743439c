"""Order files: uploaded by the parties (streamed, capped, sniffed), delivered by the seller, fetched
by a short-lived link; on the file system and on S3 (moto's server mode)."""

import hashlib
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace_libs.testing import bytes_behind_download
from orders.models import OrderFile, TimelineEntry

from .conftest import ORDERS, paid, place


def upload(party, order_id, data=b"%PDF-1.4\nthe logo\n", name="logo.pdf"):
    return party.client.post(f"{ORDERS}/{order_id}/files",
                             {"file": SimpleUploadedFile(name, data, "application/octet-stream")}, format="multipart")


def fetch(kind, party, order_id, file_id) -> bytes:
    return bytes_behind_download(party.client.get(f"{ORDERS}/{order_id}/files/{file_id}"), kind=kind)


def deliver(seller, order_id, **body):
    return seller.client.post(f"{ORDERS}/{order_id}/deliver", {"message": "Here it is.", **body}, format="json")


def test_the_seller_delivers_two_files_and_the_buyer_gets_the_same_bytes(files_storage, buyer, seller, gig):
    kind, storage = files_storage
    order = paid(buyer, gig)
    contents = [b"%PDF-1.4\n" + bytes(range(256)) * 50, b"\x89PNG\r\n\x1a\n" + b"\0" * 3000]
    uploaded = [upload(seller, order["id"], data=data, name=name).json()
                for data, name in zip(contents, ["logo.pdf", "../../logo.png"])]
    assert [file["name"] for file in uploaded] == ["logo.pdf", "logo.png"]
    assert [file["sha256"] for file in uploaded] == [hashlib.sha256(data).hexdigest() for data in contents]
    # Not delivered yet: the buyer does not see the seller's uploads.
    assert buyer.client.get(f"{ORDERS}/{order['id']}/files").json() == []
    assert buyer.client.get(f"{ORDERS}/{order['id']}/files/{uploaded[0]['id']}").status_code == 404

    delivered = deliver(seller, order["id"], file_ids=[file["id"] for file in uploaded])
    assert delivered.status_code == 200, delivered.content
    body = delivered.json()
    assert body["status"] == "delivered"
    [entry] = [entry for entry in body["timeline"] if entry["type"] == "delivered"]
    assert [file["id"] for file in entry["files"]] == [file["id"] for file in uploaded]
    assert {file["id"] for file in body["files"]} == {file["id"] for file in uploaded}

    seen = buyer.client.get(f"{ORDERS}/{order['id']}/").json()
    assert all(file["delivered"] for file in seen["files"]) and len(seen["files"]) == 2
    for file, data in zip(uploaded, contents):
        assert hashlib.sha256(fetch(kind, buyer, order["id"], file["id"])).hexdigest() == file["sha256"]


def test_the_buyers_brief_is_shown_to_the_seller_at_once(files_storage, buyer, seller, gig):
    kind, storage = files_storage
    order = place(buyer, gig)  # before payment too
    brief = upload(buyer, order["id"], data=b"Blue, white, a fox.\n", name="brief.txt").json()
    assert brief["content_type"] == "text/plain" and brief["uploaded_by"] == buyer.id
    assert [file["id"] for file in seller.client.get(f"{ORDERS}/{order['id']}/files").json()] == [brief["id"]]
    assert fetch(kind, seller, order["id"], brief["id"]) == b"Blue, white, a fox.\n"


def test_file_ids_not_the_sellers_own_undelivered_uploads_to_this_order_are_400_and_nothing_delivered(
        files_storage, buyer, seller, gig, party):
    order, other = paid(buyer, gig), paid(party(), gig)
    mine = upload(seller, order["id"]).json()["id"]
    elsewhere = upload(seller, other["id"]).json()["id"]
    buyers = upload(buyer, order["id"]).json()["id"]
    for file_ids in ([elsewhere], [mine, elsewhere], [buyers], [str(uuid.uuid4())], ["x"], [mine, mine]):
        response = deliver(seller, order["id"], file_ids=file_ids)
        assert response.status_code == 400, (file_ids, response.content)
        assert any(field.startswith("file_ids") for field in response.json()["errors"])
    assert buyer.client.get(f"{ORDERS}/{order['id']}/").json()["status"] == "in_progress"
    assert not TimelineEntry.objects.filter(order_id=order["id"], type="delivered").exists()
    assert not OrderFile.objects.filter(delivery__isnull=False).exists()
    assert deliver(seller, order["id"], file_ids=[mine]).status_code == 200
    buyer.client.post(f"{ORDERS}/{order['id']}/request-revision", {"message": "Greener"}, format="json")
    assert deliver(seller, order["id"], file_ids=[mine]).status_code == 400  # delivered before


def test_a_stranger_gets_404_and_nothing_is_stored(files_storage, buyer, seller, gig, party, tmp_path):
    kind, storage = files_storage
    order = paid(buyer, gig)
    file_id = upload(seller, order["id"]).json()["id"]
    deliver(seller, order["id"], file_ids=[file_id])
    stranger = party()
    assert upload(stranger, order["id"]).status_code == 404
    assert OrderFile.objects.count() == 1
    assert stranger.client.get(f"{ORDERS}/{order['id']}/files").status_code == 404
    assert stranger.client.get(f"{ORDERS}/{order['id']}/files/{file_id}").status_code == 404
    # Another order's file under this order's path: 404 for its own parties too.
    other = paid(party(), gig)
    assert seller.client.get(f"{ORDERS}/{other['id']}/files/{file_id}").status_code == 404


def test_bad_uploads_store_nothing(files_storage, buyer, seller, gig, settings, tmp_path):
    kind, storage = files_storage
    order = paid(buyer, gig)
    assert upload(seller, order["id"], data=b"", name="empty.zip").status_code == 400
    assert seller.client.post(f"{ORDERS}/{order['id']}/files", {}, format="json").status_code == 400  # no file
    settings.MARKETPLACE_CONFIG = type(settings.MARKETPLACE_CONFIG)(**{
        **settings.MARKETPLACE_CONFIG.__dict__, "max_upload_mb": 1})
    too_big = upload(seller, order["id"], data=b"\0" * (1024 * 1024 + 1), name="big.bin")
    assert too_big.status_code == 413 and too_big["Content-Type"] == "application/problem+json"
    assert OrderFile.objects.count() == 0
    if kind == "s3":
        assert list(storage.bucket.objects.all()) == []
    else:
        assert not any(path.is_file() for path in tmp_path.rglob("*"))
    lying = upload(seller, order["id"], data=b"<!doctype html><script>x()</script>", name="logo.png").json()
    assert lying["content_type"] == "text/html"


def test_no_files_after_the_order_is_over(files_storage, buyer, seller, gig):
    order = place(buyer, gig)
    buyer.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Changed my mind"}, format="json")
    assert upload(buyer, order["id"]).status_code == 409


def test_a_dispute_cites_files_the_party_can_see_and_nothing_else(files_storage, buyer, seller, gig):
    order = paid(buyer, gig)
    other = paid(buyer, gig)
    delivered = upload(seller, order["id"]).json()
    undelivered = upload(seller, order["id"], name="draft.pdf").json()
    elsewhere = upload(buyer, other["id"]).json()
    assert deliver(seller, order["id"], file_ids=[delivered["id"]]).status_code == 200
    url = f"{ORDERS}/{order['id']}/dispute"

    # The seller's undelivered draft (the buyer cannot see it) and another order's file: 400, nothing opened.
    for wrong in (undelivered["id"], elsewhere["id"], str(uuid.uuid4())):
        refused = buyer.client.post(url, {"reason": "Not what I asked", "file_ids": [wrong]}, format="json")
        assert refused.status_code == 400 and "file_ids" in refused.json()["errors"], refused.content
    assert buyer.client.get(f"{ORDERS}/{order['id']}/").json()["status"] == "delivered"

    opened = buyer.client.post(url, {"reason": "Not what I asked", "file_ids": [delivered["id"]]}, format="json")
    assert opened.status_code == 201, opened.content
    assert opened.json()["file_ids"] == [delivered["id"]]
    shown = seller.client.get(f"{ORDERS}/{order['id']}/").json()
    assert shown["status"] == "disputed" and shown["dispute"]["file_ids"] == [delivered["id"]]
