"""The card of a user that other services keep to show names: from ``user.registered`` and
``user.profile_updated`` (the user service owns the profile; everyone else keeps a copy)."""

from __future__ import annotations

from django.db import IntegrityError, models, transaction


class UserCard(models.Model):
    user_id = models.UUIDField(primary_key=True)
    username = models.CharField(max_length=30)
    display_name = models.CharField(max_length=50, blank=True)
    # user.profile_updated's revision: a card arriving late (lower revision) changes nothing.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.username


def keep_card(model: type[UserCard], *, user_id, username: str, display_name: str = "", revision: int = 0,
              **more) -> bool:
    """Store the card unless a newer one is there; True when it changed something. ``more``: fields a
    service's card adds to the common ones (the gig service's seller ``level``), kept by the same revision."""
    fields = {"username": username, "display_name": display_name, "revision": revision, **more}
    card, created = model.objects.get_or_create(user_id=user_id, defaults=fields)
    if created:
        return True
    return bool(model.objects.filter(pk=user_id, revision__lt=revision).update(**fields))


def ensure_card(model: type[UserCard], *, user_id, username: str) -> UserCard:
    """The card of ``user_id``, made from their token's username if no event has told of them yet."""
    card = model.objects.filter(pk=user_id).first()
    if card is not None:
        return card
    try:
        with transaction.atomic():
            return model.objects.create(user_id=user_id, username=username)
    except IntegrityError:  # the event's handler made it at the same moment
        return model.objects.get(pk=user_id)
