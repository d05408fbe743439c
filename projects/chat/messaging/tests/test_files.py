"""Attachments: uploaded to a conversation, sent with a message (REST and socket), fetched by a
short-lived link; on the file system and on S3 (moto's server mode)."""

import hashlib
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace_libs.testing import bytes_behind_download
from messaging import tasks
from messaging.models import ChatFile, Message

from .conftest import CHAT, conversation_between

pytestmark = pytest.mark.django_db(transaction=True)


def png_bytes(size=(900, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(person, conversation_id, data=b"%PDF-1.4\nbrief\n", name="brief.pdf"):
    return person.client.post(f"{CHAT}/conversations/{conversation_id}/files",
                              {"file": SimpleUploadedFile(name, data, "application/octet-stream")}, format="multipart")


def send(person, conversation_id, **body):
    return person.client.post(f"{CHAT}/conversations/{conversation_id}/messages/", body, format="json")


def download(kind, person, conversation_id, file_id, suffix="") -> bytes:
    return bytes_behind_download(person.client.get(f"{CHAT}/conversations/{conversation_id}/files/{file_id}{suffix}"),
                                 kind=kind)


def test_a_participant_uploads_sends_and_the_other_downloads_the_same_bytes(person, files_storage):
    kind, storage = files_storage
    a, b = person(), person()
    conversation = conversation_between(a, b)
    data = b"%PDF-1.4\n" + bytes(range(256)) * 40
    uploaded = upload(a, conversation["id"], data=data, name="../../brief.pdf")
    assert uploaded.status_code == 201, uploaded.content
    body = uploaded.json()
    assert (body["name"], body["size"], body["content_type"], body["message_id"]) == (
        "brief.pdf", len(data), "application/pdf", None)
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["uploaded_by"] == a.id
    # Not sent yet: only its uploader may fetch it.
    assert b.client.get(f"{CHAT}/conversations/{conversation['id']}/files/{body['id']}").status_code == 404

    sent = send(a, conversation["id"], body="The brief", file_ids=[body["id"]])
    assert sent.status_code == 201, sent.content
    assert sent.json()["files"] == [{"id": body["id"], "name": "brief.pdf", "size": len(data),
                                     "content_type": "application/pdf", "has_thumbnail": False}]
    history = b.client.get(f"{CHAT}/conversations/{conversation['id']}/messages/").json()["results"]
    assert history[0]["files"][0]["id"] == body["id"]
    assert hashlib.sha256(download(kind, b, conversation["id"], body["id"])).hexdigest() == body["sha256"]
    listed = b.client.get(f"{CHAT}/conversations/").json()["results"][0]["last_message"]
    assert listed["files"][0]["name"] == "brief.pdf"


def test_a_message_of_files_only_needs_no_body(person, files_storage):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    file_id = upload(a, conversation["id"]).json()["id"]
    assert send(a, conversation["id"], file_ids=[file_id]).status_code == 201
    assert send(a, conversation["id"]).status_code == 400  # neither body nor files


def test_file_ids_of_another_conversation_someone_else_or_sent_before_are_400_and_nothing_sent(person, files_storage):
    a, b, c = person(), person(), person()
    ours, theirs = conversation_between(a, b), conversation_between(a, c)
    elsewhere = upload(a, theirs["id"]).json()["id"]
    bobs = upload(b, ours["id"]).json()["id"]
    mine = upload(a, ours["id"]).json()["id"]
    for file_ids in ([elsewhere], [mine, elsewhere], [bobs], [str(uuid.uuid4())], ["nope"], [mine, mine]):
        response = send(a, ours["id"], body="see attached", file_ids=file_ids)
        assert response.status_code == 400, (file_ids, response.content)
        assert any(field.startswith("file_ids") for field in response.json()["errors"])
    assert Message.objects.count() == 0
    assert ChatFile.objects.filter(message__isnull=False).count() == 0
    assert send(a, ours["id"], body="now", file_ids=[mine]).status_code == 201
    assert send(a, ours["id"], body="again", file_ids=[mine]).status_code == 400  # sent already


def test_a_stranger_can_neither_upload_nor_download(person, files_storage):
    kind, storage = files_storage
    a, b, stranger = person(), person(), person()
    conversation = conversation_between(a, b)
    file_id = upload(a, conversation["id"]).json()["id"]
    send(a, conversation["id"], body="x", file_ids=[file_id])
    before = ChatFile.objects.count()
    assert upload(stranger, conversation["id"]).status_code == 404
    assert ChatFile.objects.count() == before
    assert stranger.client.get(f"{CHAT}/conversations/{conversation['id']}/files/{file_id}").status_code == 404
    # Nor through a conversation of their own with the same file id.
    own = conversation_between(stranger, a)
    assert stranger.client.get(f"{CHAT}/conversations/{own['id']}/files/{file_id}").status_code == 404


def test_bad_uploads(person, files_storage, settings, tmp_path):
    kind, storage = files_storage
    a, b = person(), person()
    conversation = conversation_between(a, b)
    empty = upload(a, conversation["id"], data=b"", name="empty.txt")
    assert empty.status_code == 400
    settings.MARKETPLACE_CONFIG = type(settings.MARKETPLACE_CONFIG)(**{
        **settings.MARKETPLACE_CONFIG.__dict__, "max_upload_mb": 1})
    too_big = upload(a, conversation["id"], data=b"\0" * (1024 * 1024 + 10), name="big.bin")
    assert too_big.status_code == 413 and too_big["Content-Type"] == "application/problem+json"
    assert ChatFile.objects.count() == 0
    if kind == "s3":
        assert list(storage.bucket.objects.all()) == []
    else:
        assert not any(path.is_file() for path in tmp_path.rglob("*"))
    lying = upload(a, conversation["id"], data=b"<html><script>alert(1)</script></html>", name="photo.png")
    assert lying.json()["content_type"] == "text/html"


def test_an_image_gets_a_thumbnail_from_the_worker(person, files_storage):
    kind, storage = files_storage
    a, b = person(), person()
    conversation = conversation_between(a, b)
    file_id = upload(a, conversation["id"], data=png_bytes(), name="shot.png").json()["id"]
    send(a, conversation["id"], body="look", file_ids=[file_id])
    assert b.client.get(f"{CHAT}/conversations/{conversation['id']}/files/{file_id}/thumbnail").status_code == 404
    assert tasks.make_file_thumbnail(file_id) is True
    assert tasks.make_missing_thumbnails() == 0
    with Image.open(io.BytesIO(download(kind, b, conversation["id"], file_id, "/thumbnail"))) as thumbnail:
        assert thumbnail.format == "WEBP" and max(thumbnail.size) == 480
    history = b.client.get(f"{CHAT}/conversations/{conversation['id']}/messages/").json()["results"]
    assert history[0]["files"][0]["has_thumbnail"] is True


def test_the_sweep_makes_lost_thumbnails_and_skips_other_files(person, files_storage):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    upload(a, conversation["id"], data=png_bytes((200, 200)), name="a.png")
    upload(a, conversation["id"])  # a PDF: no thumbnail
    assert tasks.make_missing_thumbnails() == 1
    assert tasks.make_missing_thumbnails() == 0


def test_an_attachment_arrives_over_the_socket_with_its_metadata(person, sockets, files_storage):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    file_id = upload(a, conversation["id"], data=png_bytes((300, 200)), name="logo.png").json()["id"]
    a_tab, b_tab = sockets(a.token), sockets(b.token)
    a_tab.send({"type": "message.send", "conversation_id": conversation["id"], "file_ids": [file_id],
                "client_id": "f1"})
    frame = b_tab.receive_until("message.new")
    assert frame["message"]["body"] == ""
    assert frame["message"]["files"] == [{"id": file_id, "name": "logo.png", "size": frame["message"]["files"][0]["size"],
                                          "content_type": "image/png", "has_thumbnail": False}]
    # Someone else's file over the socket: an error frame, nothing sent.
    c = person()
    other = conversation_between(a, c)
    elsewhere = upload(a, other["id"]).json()["id"]
    a_tab.receive_until("message.new")
    a_tab.send({"type": "message.send", "conversation_id": conversation["id"], "body": "x", "file_ids": [elsewhere]})
    error = a_tab.receive_until("error")
    assert error["code"] == "validation_error" and "file_ids" in error["detail"]
    assert b_tab.nothing_more()
    assert Message.objects.count() == 1
