"""Staff's view of gigs: by status, seller, category; pausing one is published like any change."""

from django.contrib import admin, messages

from . import services
from .search import memo
from .models import Category, Gig, GigImage, Package


class PackageInline(admin.TabularInline):
    model = Package
    extra = 0
    can_delete = False
    readonly_fields = ["tier", "title", "description", "price", "currency", "delivery_days", "revisions"]

    def has_add_permission(self, request, obj=None):
        return False


class ImageInline(admin.TabularInline):
    model = GigImage
    extra = 0
    readonly_fields = ["file", "position", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Not deleted"), ("yes", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(Gig)
class GigAdmin(admin.ModelAdmin):
    list_display = ["title", "seller", "category", "status", "paused_by_staff", "price_from", "currency",
                    "rating_avg", "orders_count", "created_at"]
    list_filter = ["status", "paused_by_staff", DeletedFilter, "category__parent", "category"]
    search_fields = ["title", "seller__username", "=id", "=seller__user_id"]
    list_select_related = ["seller", "category"]
    ordering = ["-created_at"]
    inlines = [PackageInline, ImageInline]
    actions = ["pause_gigs", "release_pause"]
    # Sellers own their gigs' content; staff moderate by pausing, which the order service hears of.
    readonly_fields = [field.name for field in Gig._meta.concrete_fields if field.name != "search_vector"]
    exclude = ["search_vector", "tags"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Pause the selected gigs (the seller cannot put them back on sale)")
    def pause_gigs(self, request, queryset):
        paused = sum(services.pause_by_staff(gig=gig) for gig in queryset)
        self.message_user(request, f"{paused} gig(s) paused.", messages.SUCCESS)

    @admin.action(description="Let the sellers put the selected gigs back on sale")
    def release_pause(self, request, queryset):
        for gig in queryset:
            services.release_staff_pause(gig=gig)
        self.message_user(request, "Done: the sellers may activate them again.", messages.SUCCESS)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "position"]
    list_filter = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    # Kept search results name categories (their facets): a changed category makes them stale.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        memo.forget_all()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        memo.forget_all()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        memo.forget_all()
