"""Publish conversation.started for the conversations started before the event existed, so that the
order service knows their participants and custom offers can be made in them too."""

from django.db import migrations


def announce(apps, schema_editor):
    from messaging import events  # the event's one shape; it takes plain values, not the model

    Conversation = apps.get_model("messaging", "Conversation")
    for conversation in Conversation.objects.using(schema_editor.connection.alias).order_by("created_at").iterator():
        events.conversation_started(conversation_id=conversation.pk,
                                    participant_ids=[conversation.user_low, conversation.user_high],
                                    gig_id=conversation.gig_id, order_id=conversation.order_id,
                                    started_at=conversation.created_at)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("messaging", "0004_offer_messages"),
        ("events", "0002_outbox_notify_trigger"),
    ]

    operations = [migrations.RunPython(announce, migrations.RunPython.noop)]
