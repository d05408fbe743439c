import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from marketplace_libs.errors import InvalidInput

from .emails import normalise_email


class UserManager(BaseUserManager):
    use_in_migrations = True

    """Accounts are created by ``accounts.services.register_user`` only, which announces them; these
    are the names Django's own tools (createsuperuser, the admin's tests) call it by."""

    def create_user(self, email, username, password=None, *, is_staff=False, is_superuser=False):
        from .services import register_user  # the service imports this module

        try:
            # Made by staff at a console: the address is theirs to vouch for, no link is sent.
            return register_user(email=email, username=username, password=password or "", is_staff=is_staff,
                                 is_superuser=is_superuser, email_verified=True)
        except InvalidInput as refusal:
            # Django's tools (createsuperuser) report a ValidationError as a plain error message.
            raise ValidationError([f"{field}: {message}" for field, messages in refusal.errors.items()
                                   for message in messages]) from None

    def create_superuser(self, email, username, password=None):
        return self.create_user(email, username, password, is_staff=True, is_superuser=True)

    def get_by_natural_key(self, email):
        # The admin's sign-in (ModelBackend) finds the account by the same spelling the API's login does.
        return self.get(email=normalise_email(email))


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Roles are derived: everyone buys; sellers and staff are flags."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)  # stored normalised (accounts.emails)
    username = models.CharField(
        max_length=30,
        validators=[UnicodeUsernameValidator(), MinLengthValidator(3)],
        help_text="3 to 30 letters, digits and @/./+/-/_ only.",
    )
    is_seller = models.BooleanField(default=False)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Tokens issued before this moment are refused (password change, deactivation).
    tokens_valid_after = models.DateTimeField(null=True, blank=True)
    # When the account was last deactivated or reactivated (user.deactivated/reactivated carry it).
    active_changed_at = models.DateTimeField(null=True, blank=True)
    # When the owner proved the address is theirs (the emailed link), or staff vouched for it; None until then.
    # Accounts older than verification were set verified by migration 0004.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def roles(self) -> list[str]:
        roles = ["buyer"]
        if self.is_seller:
            roles.append("seller")
        if self.is_staff:
            roles.append("staff")
        return roles


class RevokedTokenFamily(models.Model):
    """A login session whose refresh tokens are all refused: logged out, or a spent token was reused."""

    family = models.UUIDField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="revoked_token_families")
    reason = models.CharField(max_length=30)
    revoked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.family} ({self.reason})"


class PasswordResetRequest(models.Model):
    """A reset asked for a known account; the link itself travels only in the outbox event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_reset_requests")
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-requested_at"])]


class EmailVerification(models.Model):
    """A verification link sent to an address. Only the SHA-256 of its token is kept, so a copy of the
    database verifies nothing; the link itself travels once, in the outbox event to the notification
    service. It confirms ``email`` only: were the account's address changed, its old links are spent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_verifications")
    email = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-sent_at"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.sent_at:%Y-%m-%d %H:%M})"
