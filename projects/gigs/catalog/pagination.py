from marketplace_libs.pagination import StandardPagination

_COUNTED = {"count": {"type": "integer", "minimum": 0}}
FACETS_SCHEMA = {
    "type": "object",
    "description": "Counts over the whole result, not only this page: per category, and per price band "
                   "(`max` null for the last, open band).",
    "required": ["categories", "price_bands"],
    "properties": {
        "categories": {"type": "array", "items": {
            "type": "object", "required": ["slug", "name", "count"],
            "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, **_COUNTED}}},
        "price_bands": {"type": "array", "items": {
            "type": "object", "required": ["min", "max", "count"],
            "properties": {"min": {"type": "string", "format": "decimal"},
                           "max": {"type": "string", "format": "decimal", "nullable": True}, **_COUNTED}}},
    },
}


class GigPage(StandardPagination):
    """A page of gigs and the facets of the whole search (the view adds them to the page)."""

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        page["properties"]["facets"] = FACETS_SCHEMA
        page["required"] = [*page["required"], "facets"]
        return page
