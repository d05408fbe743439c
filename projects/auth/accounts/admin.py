from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import PasswordResetRequest, RevokedTokenFamily, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("-date_joined",)
    list_display = ("username", "email", "is_seller", "is_staff", "is_active", "date_joined")
    list_filter = ("is_seller", "is_staff", "is_active")
    search_fields = ("username", "email")
    readonly_fields = ("id", "date_joined", "last_login", "tokens_valid_after", "active_changed_at")
    fieldsets = (
        (None, {"fields": ("id", "email", "username", "password")}),
        ("Roles", {"fields": ("is_active", "is_seller", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login", "tokens_valid_after", "active_changed_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),)


@admin.register(RevokedTokenFamily)
class RevokedTokenFamilyAdmin(admin.ModelAdmin):
    list_display = ("family", "user", "reason", "revoked_at")
    list_filter = ("reason",)
    search_fields = ("user__username", "user__email")


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "requested_at", "expires_at", "used_at")
    search_fields = ("user__username", "user__email")
