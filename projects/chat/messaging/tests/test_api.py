import uuid

from marketplace_libs.testing import problem, published
from messaging.models import Conversation, Message

from .conftest import CHAT, conversation_between


def test_one_conversation_per_pair_whoever_starts_it(person):
    a, b = person(), person()
    first = a.client.post(f"{CHAT}/conversations/", {"participant_id": b.id, "gig_id": str(uuid.uuid4())},
                          format="json")
    assert first.status_code == 201
    again = b.client.post(f"{CHAT}/conversations/", {"participant_id": a.id}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Conversation.objects.count() == 1
    names = {p["id"]: p["username"] for p in first.json()["participants"]}
    assert names == {a.id: a.username, b.id: b.username}


def test_bad_conversation_requests(person):
    a = person()
    problem(a.client.post(f"{CHAT}/conversations/", {"participant_id": a.id}, format="json"), 400)
    problem(a.client.post(f"{CHAT}/conversations/", {"participant_id": str(uuid.uuid4())}, format="json"), 400)
    problem(a.client.post(f"{CHAT}/conversations/", {"participant_id": "bob"}, format="json"), 400)
    problem(a.client.post(f"{CHAT}/conversations/", {}, format="json"), 400)


def test_messages_history_unread_counts_and_read_state(person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    url = f"{CHAT}/conversations/{conversation['id']}"
    ids = []
    for n in range(3):
        response = a.client.post(f"{url}/messages/", {"body": f"message {n}", "client_id": f"c{n}"}, format="json")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    listing = b.client.get(f"{CHAT}/conversations/").json()["results"][0]
    assert listing["unread_count"] == 3 and listing["last_message"]["body"] == "message 2"
    assert a.client.get(f"{CHAT}/conversations/").json()["results"][0]["unread_count"] == 0

    page = b.client.get(f"{url}/messages/", {"page_size": 2}).json()
    assert [m["body"] for m in page["results"]] == ["message 2", "message 1"] and "count" not in page
    older = b.client.get(page["next"]).json()
    assert [m["body"] for m in older["results"]] == ["message 0"] and older["next"] is None

    assert b.client.post(f"{url}/read", {"message_id": ids[1]}, format="json").status_code == 204
    assert b.client.get(f"{CHAT}/conversations/").json()["results"][0]["unread_count"] == 1
    b.client.post(f"{url}/read", {"message_id": ids[0]}, format="json")  # read state never moves back
    assert b.client.get(f"{CHAT}/conversations/").json()["results"][0]["unread_count"] == 1


def test_a_repeated_client_id_stores_nothing_new(person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    url = f"{CHAT}/conversations/{conversation['id']}/messages/"
    first = a.client.post(url, {"body": "Hello", "client_id": "retry-1"}, format="json")
    again = a.client.post(url, {"body": "Hello", "client_id": "retry-1"}, format="json")
    assert first.status_code == 201 and again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Message.objects.count() == 1 and len(published("message.sent")) == 1


def test_bad_messages_are_400_and_store_nothing(person):
    a, b = person(), person()
    url = f"{CHAT}/conversations/{conversation_between(a, b)['id']}/messages/"
    for body, field in (({"body": ""}, "body"), ({"body": "   "}, "body"), ({"body": "x" * 5001}, "body"),
                        ({"body": 5}, "body"), ({"body": "hi", "client_id": "x" * 65}, "client_id"),
                        ({"body": "hi", "sender_id": a.id}, "sender_id")):
        assert field in problem(a.client.post(url, body, format="json"), 400)["errors"]
    assert not Message.objects.exists()


def test_a_stranger_gets_404_everywhere(person):
    a, b, stranger = person(), person(), person()
    conversation = conversation_between(a, b)
    message = a.client.post(f"{CHAT}/conversations/{conversation['id']}/messages/", {"body": "secret"},
                            format="json").json()
    url = f"{CHAT}/conversations/{conversation['id']}"
    problem(stranger.client.get(f"{url}/messages/"), 404)
    problem(stranger.client.post(f"{url}/messages/", {"body": "hi"}, format="json"), 404)
    problem(stranger.client.post(f"{url}/read", {"message_id": message["id"]}, format="json"), 404)
    assert stranger.client.get(f"{CHAT}/conversations/").json()["count"] == 0
    problem(a.client.post(f"{url}/read", {"message_id": str(uuid.uuid4())}, format="json"), 400)


def test_message_sent_says_the_recipient_was_away(person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    a.client.post(f"{CHAT}/conversations/{conversation['id']}/messages/", {"body": "Are you there?"}, format="json")
    [sent] = published("message.sent")
    assert sent["recipients"] == [{"user_id": b.id, "online": False}]
    assert sent["sender_name"] == a.username and sent["preview"] == "Are you there?"


def test_sending_too_fast_is_rate_limited(person, send_limit):
    send_limit(3)
    a, b = person(), person()
    url = f"{CHAT}/conversations/{conversation_between(a, b)['id']}/messages/"
    for n in range(3):
        assert a.client.post(url, {"body": f"{n}"}, format="json").status_code == 201
    response = a.client.post(url, {"body": "one too many"}, format="json")
    problem(response, 429)
    assert response["Retry-After"]
    assert Message.objects.count() == 3
