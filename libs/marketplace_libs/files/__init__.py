"""Uploaded files: one storage for every service, streamed uploads, short-lived signed download links.

- :mod:`.storage`: the ``files`` storage (S3 through django-storages when ``MARKETPLACE_STORAGE_URL`` is
  set, ``var/media/<service>/`` otherwise) and the signed URL each answers for a stored name.
- :mod:`.uploads`: a request's file streamed to a temporary file, size-capped, hashed and sniffed on
  the way, then saved under a name of our own.
- :mod:`.links`: the gateway's signed links for the file-system default.
- :mod:`.models`: the abstract model a service's file table starts from.

docs/files.md tells the whole story.
"""
