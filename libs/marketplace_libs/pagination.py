from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


def _positive_int_or_400(request, name: str) -> None:
    raw = request.query_params.get(name)
    if raw is not None and (not raw.isdigit() or int(raw) < 1):
        raise ValidationError({name: ["Must be a whole number, 1 or more."]})


class StandardPagination(PageNumberPagination):
    """``{count, next, previous, results}`` with ``page`` and ``page_size`` (at most 100).

    A malformed ``page`` or ``page_size`` is a 400 naming the parameter; a page past the end is a 404.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        _positive_int_or_400(request, self.page_query_param)
        _positive_int_or_400(request, self.page_size_query_param)
        return super().paginate_queryset(queryset, request, view)


class NewestFirstCursorPagination(CursorPagination):
    """For feeds that grow while being read (chat history): no ``count``, stable pages."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

    def paginate_queryset(self, queryset, request, view=None):
        _positive_int_or_400(request, self.page_size_query_param)
        return super().paginate_queryset(queryset, request, view)
