"""Stored emails in the form logins look them up by (accounts.emails: NFKC, casefold).

They were stored lower-cased; for ASCII addresses both forms agree. An address whose normalised form
another account already holds is left as it was (that account keeps the login)."""

import unicodedata

from django.db import migrations


def normalise(email: str) -> str:
    # A copy of accounts.emails.normalise_email as of this migration: migrations must not change later.
    return unicodedata.normalize("NFKC", email or "").strip().casefold()


def normalise_stored_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set(User.objects.values_list("email", flat=True))
    for user in User.objects.only("id", "email").iterator():
        wanted = normalise(user.email)
        if wanted != user.email and wanted not in taken:
            User.objects.filter(pk=user.pk).update(email=wanted)
            taken.add(wanted)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_active_changed_at")]
    operations = [migrations.RunPython(normalise_stored_emails, migrations.RunPython.noop)]
