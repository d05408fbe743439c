from marketplace_libs.pagination import NewestFirstCursorPagination


class HistoryPagination(NewestFirstCursorPagination):
    """Newest first by the conversation's own order (``seq``), which never ties."""

    ordering = "-seq"
