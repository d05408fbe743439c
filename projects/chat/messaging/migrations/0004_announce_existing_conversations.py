"""Publish conversation.started for the conversations started before the event existed, so that the
order service knows their participants and custom offers can be made in them too."""

from django.db import migrations


def announce(apps, schema_editor):
    from marketplace_libs.events.publishing import publish
    from marketplace_libs.times import iso_utc

    Conversation = apps.get_model("messaging", "Conversation")
    for conversation in Conversation.objects.using(schema_editor.connection.alias).order_by("created_at").iterator():
        publish("conversation.started", {
            "conversation_id": str(conversation.pk),
            "participant_ids": [str(conversation.user_low), str(conversation.user_high)],
            "gig_id": str(conversation.gig_id) if conversation.gig_id else None,
            "order_id": str(conversation.order_id) if conversation.order_id else None,
            "started_at": iso_utc(conversation.created_at),
        }, aggregate_id=str(conversation.pk))


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("messaging", "0003_offer_messages"),
        ("events", "0002_outbox_notify_trigger"),
    ]

    operations = [migrations.RunPython(announce, migrations.RunPython.noop)]
