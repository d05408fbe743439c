"""A search of active gigs, whatever engine answers it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

ORDERINGS = ("relevance", "-created_at", "price", "-price", "-rating", "-orders")
MAX_TERMS = 8


@dataclass(frozen=True)
class GigQuery:
    q: str = ""
    category_ids: tuple[int, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    delivery_days: int | None = None
    min_rating: Decimal | None = None
    seller_id: str | None = None
    tags: tuple[str, ...] = ()
    ordering: str = ""
    terms: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self):
        object.__setattr__(self, "terms", tuple(re.findall(r"\w+", self.q.lower()))[:MAX_TERMS])
        if not self.ordering:
            object.__setattr__(self, "ordering", "relevance" if self.terms else "-created_at")
        elif self.ordering == "relevance" and not self.terms:
            object.__setattr__(self, "ordering", "-created_at")  # nothing to be relevant to


@dataclass
class Facets:
    categories: list[dict]
    price_bands: list[dict]

    def as_dict(self) -> dict:
        return {"categories": self.categories, "price_bands": self.price_bands}
