"""Participants' names, from the user service's events; custom offers, from the order service's."""

from marketplace_libs.events.registry import handles

from . import services


@handles("user.registered")
def remember_name(event):
    services.record_person(user_id=event.data["user_id"], username=event.data["username"])


@handles("user.profile_updated")
def follow_name(event):
    data = event.data
    services.record_person(user_id=data["user_id"], username=data["username"], display_name=data["display_name"],
                           revision=data["revision"])


@handles("offer.created")
@handles("offer.accepted")
@handles("offer.declined")
@handles("offer.withdrawn")
@handles("offer.expired")
def show_offer(event):
    services.show_offer(data=event.data)
