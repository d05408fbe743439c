"""Staff's view of profiles: find, edit, remove an avatar. Changes others must hear of go through services.

Account state (active, seller role, email) belongs to the auth service: staff deactivate and reactivate
accounts in the auth admin, and this service follows its ``user.deactivated``/``user.reactivated``."""

from django.contrib import admin, messages

from . import services
from .models import Preferences, Profile, SellerProfile


class IsSellerFilter(admin.SimpleListFilter):
    title = "seller"
    parameter_name = "seller"

    def lookups(self, request, model_admin):
        return [("yes", "Sellers"), ("no", "Buyers only")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(seller__isnull=False)
        if self.value() == "no":
            return queryset.filter(seller__isnull=True)
        return queryset


class SellerInline(admin.StackedInline):
    model = SellerProfile
    can_delete = False
    readonly_fields = ["activated_at"]
    extra = 0
    max_num = 1


class PreferencesInline(admin.StackedInline):
    # Read-only here: the notification service keeps a copy, fed by the owner's PATCH.
    model = Preferences
    can_delete = False
    readonly_fields = ["email_notifications", "message_emails", "language", "currency", "timezone",
                       "show_online_status", "revision"]
    extra = 0
    max_num = 1


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["username", "email", "display_name", "country", "seller_badge", "level", "is_active", "created_at"]
    list_filter = [IsSellerFilter, "level", "is_active", "country"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-created_at"]
    # The avatar is only ever replaced through the owner's validated upload; staff can remove it.
    readonly_fields = ["user_id", "username", "email", "avatar", "is_active", "deactivation_reason",
                       "active_changed_at", "revision", "rating_avg", "rating_count", "orders_completed",
                       "buyer_rating_avg", "buyer_rating_count", "level", "created_at", "updated_at"]
    fields = ["user_id", "username", "email", "display_name", "bio", "country", "languages", "skills", "avatar",
              "is_active", "deactivation_reason", "active_changed_at", "rating_avg", "rating_count",
              "orders_completed", "buyer_rating_avg", "buyer_rating_count", "level", "revision", "created_at",
              "updated_at"]
    inlines = [SellerInline, PreferencesInline]
    actions = ["remove_avatars"]
    list_select_related = ["seller"]

    @admin.display(boolean=True, description="seller")
    def seller_badge(self, profile):
        return profile.is_seller

    def has_add_permission(self, request):
        return False  # profiles come from registrations

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate in the auth admin instead: orders, reviews and chats keep pointing at the user

    def save_model(self, request, obj, form, change):
        services.save_edited_by_staff(profile=obj, changed_fields=list(form.changed_data))

    @admin.action(description="Remove the avatars of the selected accounts")
    def remove_avatars(self, request, queryset):
        removed = 0
        for profile in queryset.exclude(avatar=""):
            services.remove_avatar_by_staff(profile=profile)
            removed += 1
        self.message_user(request, f"{removed} avatar(s) removed.", messages.SUCCESS)
