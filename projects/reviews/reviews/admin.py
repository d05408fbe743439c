"""Staff moderation: taking a review down (``is_hidden``) takes it out of every list and rating, and is published.

Not to be confused with a review's double-blind ``status`` (hidden until both parties reviewed), which staff
neither see changed here nor can change."""

from django import forms
from django.contrib import admin, messages

from . import services
from .models import Review


class ReviewModerationForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["is_hidden", "hidden_reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_hidden") and not cleaned.get("hidden_reason", "").strip():
            self.add_error("hidden_reason", "Say why the review is hidden.")
        if self.instance.is_hidden and not cleaned.get("is_hidden"):
            self.add_error("is_hidden", "A hidden review stays hidden.")
        return cleaned


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    form = ReviewModerationForm
    list_display = ["id", "direction", "status", "rating", "author", "seller_id", "gig_id", "is_hidden", "created_at"]
    list_filter = ["is_hidden", "status", "direction", "rating"]
    search_fields = ["=id", "=order_id", "=gig_id", "=seller_id", "=buyer_id", "author__username", "comment"]
    ordering = ["-created_at"]
    list_select_related = ["author"]
    readonly_fields = ["id", "order_id", "direction", "status", "gig_id", "seller_id", "buyer_id", "author", "rating",
                       "comment", "reply", "replied_at", "published_at", "hidden_at", "created_at"]
    fields = readonly_fields[:-2] + ["is_hidden", "hidden_reason", "hidden_at", "created_at"]
    actions = ["hide_reviews"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if "is_hidden" in form.changed_data and obj.is_hidden:
            services.hide_review(review_id=obj.pk, reason=form.cleaned_data["hidden_reason"])

    @admin.action(description="Hide the selected reviews (they break the review policy)")
    def hide_reviews(self, request, queryset):
        hidden = sum(services.hide_review(review_id=review.pk,
                                          reason=f"Breaks the review policy (staff: {request.user.get_username()})")
                     for review in queryset)
        self.message_user(request, f"{hidden} review(s) hidden.", messages.SUCCESS)
