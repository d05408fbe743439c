"""Gig images move from the service's own folder (MEDIA_ROOT, served publicly at /media/gigs/) onto the
``files`` storage (S3 when MARKETPLACE_STORAGE_URL is set), reached by signed links only.

On the file-system default the ``files`` storage is that same folder, so nothing moves; on S3 each
image is copied under the same name. The old copies are left where they were (docs/files.md says
when to remove them); running the migration again copies only what is missing.
"""

import catalog.models
import marketplace_libs.files.storage
from django.db import migrations, models


def copy_images_to_the_files_storage(apps, schema_editor):
    from catalog.storage_moves import copy_legacy_images

    copy_legacy_images(apps.get_model("catalog", "GigImage"))


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_review_tombstones'),
    ]

    operations = [
        migrations.AddField(
            model_name='gigimage',
            name='thumbnail',
            field=models.FileField(blank=True, max_length=200, storage=marketplace_libs.files.storage.stored_files, upload_to=''),
        ),
        migrations.AlterField(
            model_name='gigimage',
            name='file',
            field=models.FileField(max_length=200, storage=marketplace_libs.files.storage.stored_files, upload_to=catalog.models.gig_image_path),
        ),
        migrations.RunPython(copy_images_to_the_files_storage, migrations.RunPython.noop),
    ]
