"""Email verification. Accounts that exist when it arrives are taken as verified, stamped with the time
of this migration: they signed up under the old rules, and locking them out of ordering and chatting
until they find a link they were never sent would punish them for our change (docs/decisions.md).
Accounts made from now on verify by the emailed link."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


def grandfather_existing_accounts(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(email_verified_at__isnull=True).update(email_verified_at=django.utils.timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_normalise_emails'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='email_verified_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='EmailVerification',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('email', models.EmailField(max_length=254)),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('used_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='email_verifications', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['user', '-sent_at'], name='accounts_em_user_id_d0eee1_idx')],
            },
        ),
        migrations.RunPython(grandfather_existing_accounts, migrations.RunPython.noop),
    ]
