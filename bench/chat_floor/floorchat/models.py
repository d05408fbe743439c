import uuid

from django.db import models


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    low = models.UUIDField()
    high = models.UUIDField()


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE)
    sender_id = models.UUIDField()
    body = models.TextField()
    client_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
