from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


def _bounded(parameters: list[dict], paginator) -> list[dict]:
    """The schema of the paginator's query parameters says what ``_positive_int_or_400`` refuses."""
    for parameter in parameters:
        if parameter["name"] in (getattr(paginator, "page_query_param", None), paginator.page_size_query_param):
            parameter["schema"]["minimum"] = 1
        if parameter["name"] == paginator.page_size_query_param:
            parameter["description"] = (f"Items per page, {paginator.page_size} by default; "
                                        f"more than {paginator.max_page_size} is taken as {paginator.max_page_size}.")
    return parameters


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

    def get_schema_operation_parameters(self, view):
        return _bounded(super().get_schema_operation_parameters(view), self)

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        page["required"] = ["count", "next", "previous", "results"]
        page["description"] = "A page; a `page` past the last one answers 404."
        return page


class NewestFirstCursorPagination(CursorPagination):
    """For feeds that grow while being read (chat history): no ``count``, stable pages."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

    def paginate_queryset(self, queryset, request, view=None):
        _positive_int_or_400(request, self.page_size_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        return _bounded(super().get_schema_operation_parameters(view), self)

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        page["required"] = ["next", "previous", "results"]
        page["description"] = ("Newest first. Follow `next` for older items; `cursor` is opaque, "
                               "take it from `next` or `previous` as it is.")
        return page
