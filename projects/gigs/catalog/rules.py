"""The limits of a gig, in one place: the API's input shapes, the services and the docs quote them."""

from decimal import Decimal

TITLE_MIN, TITLE_MAX = 15, 100
DESCRIPTION_MIN, DESCRIPTION_MAX = 50, 5000
PACKAGE_TITLE_MIN, PACKAGE_TITLE_MAX = 3, 60
PACKAGE_DESCRIPTION_MAX = 600
PRICE_MIN, PRICE_MAX = Decimal("5.00"), Decimal("50000.00")
DELIVERY_DAYS_MIN, DELIVERY_DAYS_MAX = 1, 90
REVISIONS_MAX = 10
UNLIMITED = "unlimited"
MAX_PACKAGES = 3
MAX_TAGS = 5
TAG_MIN, TAG_MAX = 2, 30
MAX_IMAGES = 5
PRICE_BANDS = [(Decimal("0"), Decimal("25")), (Decimal("25"), Decimal("50")), (Decimal("50"), Decimal("100")),
               (Decimal("100"), Decimal("250")), (Decimal("250"), Decimal("500")), (Decimal("500"), None)]
