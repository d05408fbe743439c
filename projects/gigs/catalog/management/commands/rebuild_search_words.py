"""Rebuild the typo correction's vocabulary from the active gigs (catalog/search/vocabulary.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from catalog.search import vocabulary


class Command(BaseCommand):
    help = ("Replace the search's vocabulary with the words of the active gigs' titles and tags, dropping "
            "the words of gigs gone since (PostgreSQL only).")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The vocabulary exists only on PostgreSQL.")
        self.stdout.write(f"{vocabulary.rebuild()} words")
