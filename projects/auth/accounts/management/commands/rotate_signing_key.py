from django.core.management.base import BaseCommand, CommandError

from accounts import keys


class Command(BaseCommand):
    help = ("Development: make a new current signing key; the old one stays in the JWKS as the previous key, "
            "so tokens it signed stay valid until they expire. In production, rotate through the environment "
            "(docs/auth-and-gateway.md).")

    def handle(self, *args, **options):
        if keys.os.environ.get("MARKETPLACE_JWT_PRIVATE_KEY"):
            raise CommandError("The keys come from the environment here; rotate them there (docs/auth-and-gateway.md).")
        retired = keys.load_key_ring().current.kid
        ring = keys.rotate_development_keys()
        self.stdout.write(f"new signing key {ring.current.kid}; {retired} kept as the previous key. "
                          "Restart the auth service so every process signs with the new key.")
