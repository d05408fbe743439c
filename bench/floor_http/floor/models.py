"""The services' tables as they are (unmanaged): the floor reads and writes the very rows the services do."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone


class Router:
    """Each model's ``database`` attribute names its connection (the gig service's is the default)."""

    def db_for_read(self, model, **hints):
        return getattr(model, "database", "default")

    db_for_write = db_for_read


class Category(models.Model):
    slug = models.SlugField()
    name = models.CharField(max_length=80)
    parent = models.ForeignKey("self", null=True, on_delete=models.DO_NOTHING, related_name="children")

    class Meta:
        managed = False
        db_table = "catalog_category"


class Seller(models.Model):
    user_id = models.UUIDField(primary_key=True)
    username = models.CharField(max_length=30)
    display_name = models.CharField(max_length=50)
    level = models.CharField(max_length=10)

    class Meta:
        managed = False
        db_table = "catalog_seller"


class Tag(models.Model):
    name = models.CharField(max_length=30)

    class Meta:
        managed = False
        db_table = "catalog_tag"


class Gig(models.Model):
    id = models.UUIDField(primary_key=True)
    seller = models.ForeignKey(Seller, on_delete=models.DO_NOTHING)
    title = models.CharField(max_length=100)
    description = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING)
    tags = models.ManyToManyField(Tag, db_table="catalog_gig_tags")
    status = models.CharField(max_length=10)
    price_from = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3)
    search_vector = SearchVectorField(null=True)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, null=True)
    rating_count = models.IntegerField()
    orders_count = models.IntegerField()
    favourites_count = models.IntegerField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "catalog_gig"


class Favourite(models.Model):
    user_id = models.UUIDField()
    gig = models.ForeignKey(Gig, on_delete=models.DO_NOTHING)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "catalog_favourite"


class Package(models.Model):
    gig = models.ForeignKey(Gig, on_delete=models.DO_NOTHING, related_name="packages")
    tier = models.CharField(max_length=10)
    title = models.CharField(max_length=60)
    description = models.TextField()
    price = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3)
    delivery_days = models.IntegerField()
    revisions = models.IntegerField(null=True)

    class Meta:
        managed = False
        db_table = "catalog_package"


class GigImage(models.Model):
    id = models.UUIDField(primary_key=True)
    gig = models.ForeignKey(Gig, on_delete=models.DO_NOTHING, related_name="images")
    file = models.CharField(max_length=200)
    thumbnail = models.CharField(max_length=200)
    position = models.IntegerField()

    class Meta:
        managed = False
        db_table = "catalog_gigimage"
        ordering = ["position"]


class User(models.Model):
    database = "auth"
    id = models.UUIDField(primary_key=True)
    email = models.EmailField()
    username = models.CharField(max_length=30)
    is_seller = models.BooleanField()
    is_staff = models.BooleanField()
    is_active = models.BooleanField()
    date_joined = models.DateTimeField()
    email_verified_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "accounts_user"


class Listing(models.Model):
    database = "orders"
    gig_id = models.UUIDField(primary_key=True)
    seller_id = models.UUIDField()
    title = models.CharField(max_length=100)
    status = models.CharField(max_length=10)
    deleted = models.BooleanField()

    class Meta:
        managed = False
        db_table = "orders_listing"


class ListedPackage(models.Model):
    database = "orders"
    listing = models.ForeignKey(Listing, on_delete=models.DO_NOTHING, related_name="packages")
    tier = models.CharField(max_length=10)
    title = models.CharField(max_length=60)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3)
    delivery_days = models.IntegerField()
    revisions = models.IntegerField(null=True)

    class Meta:
        managed = False
        db_table = "orders_listedpackage"


class Order(models.Model):
    database = "orders"
    id = models.UUIDField(primary_key=True)
    gig_id = models.UUIDField()
    package = models.CharField(max_length=10)
    title = models.CharField(max_length=100)
    package_title = models.CharField(max_length=60)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    service_fee = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    seller_earnings = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    buyer_id = models.UUIDField()
    seller_id = models.UUIDField()
    requirements = models.TextField(blank=True)
    status = models.CharField(max_length=20, default="pending_payment")
    delivery_days = models.IntegerField()
    revisions_allowed = models.IntegerField(null=True)
    revisions_used = models.IntegerField(default=0)
    payment_status = models.CharField(max_length=20, default="unpaid")
    refunded_total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True)
    delivered_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "orders_order"

    @property
    def late(self) -> bool:
        return self.due_at is not None and self.status != "cancelled" and (self.delivered_at or timezone.now()) > self.due_at


class OutboxRow(models.Model):
    """What an outbox holds: one row per event, written with the change (bench/http.py creates the table)."""

    database = "orders"
    id = models.UUIDField(primary_key=True)
    type = models.CharField(max_length=60)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "bench_floor_outbox"
