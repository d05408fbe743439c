"""Staff's view of accounts. Account state is written through ``services`` only, as from the API:
creating an account publishes ``user.registered``; deactivating publishes ``user.deactivated`` and cuts
the user's tokens off; setting a password or taking staff rights away ends every session. The fields
that would bypass that (active, seller, email) are read-only here; the seller role comes from the
user service."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm

from . import services
from .models import EmailVerification, PasswordResetRequest, RevokedTokenFamily, User


class AccountCreationForm(AdminUserCreationForm):
    """The admin's add form, refusing what registration refuses (a reserved or taken name, a weak password)."""

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "username")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            refusals = services.registration_refusals(
                email=cleaned["email"], username=cleaned["username"], password=cleaned.get("password1") or "")
            for field, messages_of_field in refusals.items():
                self.add_error("password1" if field == "password" else field, messages_of_field)
        return cleaned


class StaffPasswordForm(AdminPasswordChangeForm):
    """A password set by staff ends every session of the account, like a reset does."""

    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        services.set_password_by_staff(user_id=self.user.pk,
                                       new_password=self.cleaned_data["password1"] if usable else None)
        self.user.refresh_from_db()
        return self.user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = AccountCreationForm
    change_password_form = StaffPasswordForm
    ordering = ("-date_joined",)
    list_display = ("username", "email", "email_verified_at", "is_seller", "is_staff", "is_active", "date_joined")
    list_filter = ("is_seller", "is_staff", "is_active", ("email_verified_at", admin.EmptyFieldListFilter))
    search_fields = ("username", "email")
    readonly_fields = ("id", "email", "email_verified_at", "is_active", "is_seller", "date_joined", "last_login",
                       "tokens_valid_after", "active_changed_at")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()  # the add form asks for the email
    fieldsets = (
        (None, {"fields": ("id", "email", "email_verified_at", "username", "password")}),
        ("Roles", {"fields": ("is_active", "is_seller", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login", "tokens_valid_after", "active_changed_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),)
    actions = ["deactivate_accounts", "reactivate_accounts"]

    def save_model(self, request, obj, form, change):
        if change:
            rights = {"is_staff": obj.is_staff, "is_superuser": obj.is_superuser}
            stored = User.objects.only("is_staff", "is_superuser").get(pk=obj.pk)
            obj.is_staff, obj.is_superuser = stored.is_staff, stored.is_superuser  # written by the service below
            super().save_model(request, obj, form, change)
            services.change_staff_rights(user_id=obj.pk, **rights)
            return
        # Staff vouch for the address they type in: no verification link.
        created = services.register_user(email=obj.email, username=obj.username,
                                         password=form.cleaned_data["password1"], email_verified=True)
        # The admin goes on with its own instance (log entry, redirect): make it the account just made.
        obj.pk, obj.email, obj.password = created.pk, created.email, created.password
        obj.date_joined, obj.email_verified_at = created.date_joined, created.email_verified_at
        obj._state.adding = False

    @admin.action(description="Deactivate the selected accounts (their tokens stop working at once)")
    def deactivate_accounts(self, request, queryset):
        reason = f"Deactivated by staff ({request.user.username})"
        done = sum(services.deactivate_account(user_id=user.pk, reason=reason) for user in queryset)
        self.message_user(request, f"{done} account(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Reactivate the selected accounts")
    def reactivate_accounts(self, request, queryset):
        done = sum(services.reactivate_account(user_id=user.pk) for user in queryset)
        self.message_user(request, f"{done} account(s) reactivated.", messages.SUCCESS)


@admin.register(RevokedTokenFamily)
class RevokedTokenFamilyAdmin(admin.ModelAdmin):
    list_display = ("family", "user", "reason", "revoked_at")
    list_filter = ("reason",)
    search_fields = ("user__username", "user__email")


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "requested_at", "expires_at", "used_at")
    search_fields = ("user__username", "user__email")


@admin.register(EmailVerification)
class EmailVerificationAdmin(admin.ModelAdmin):
    """Links sent, for support ("I never got the email"); the tokens themselves are not stored."""

    list_display = ("user", "email", "sent_at", "expires_at", "used_at")
    search_fields = ("user__username", "user__email", "email")
    readonly_fields = ("id", "user", "email", "sent_at", "expires_at", "used_at")
    exclude = ("token_hash",)

    def has_add_permission(self, request):
        return False
