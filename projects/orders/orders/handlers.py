"""What the order service keeps of the gig service's events: what it sells, at which price."""

from marketplace_libs.events.registry import handles

from . import services


@handles("gig.created")
@handles("gig.updated")
def keep_listing(event):
    services.record_listing(data=event.data)


@handles("gig.deleted")
def drop_listing(event):
    services.record_listing_deleted(gig_id=event.data["gig_id"], seller_id=event.data["seller_id"],
                                   deleted_at=event.data["deleted_at"])
