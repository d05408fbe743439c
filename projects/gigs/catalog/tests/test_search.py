"""Search and browse. Every test runs against each search backend (the ``search_backend`` fixture):
the database's own, and Elasticsearch when the suite has a server for it."""

from __future__ import annotations

import io
import uuid

import pytest

from marketplace_libs.testing import deliver, event, problem
from django.core.management import call_command

from catalog.models import Gig, SearchWord
from catalog.search import vocabulary

from .conftest import GIGS, RATINGS, create_gig, package

LONG = " Clear communication, fast turnaround and source files included with every order."


@pytest.fixture
def seller(caller):
    return caller()


@pytest.fixture
def make_gig(seller, search_backend, django_capture_on_commit_callbacks):
    def make(title: str, *, owner=None, price="40.00", days=3, category="logo-design", tags=("design",),
             description: str = "", status="active") -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            gig = create_gig(owner or seller, title=title, description=(description or title) + LONG,
                             category=category, tags=list(tags), status=status,
                             packages=[package("basic", price, days, 1)])
        search_backend.refresh()
        return gig

    return make


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [gig["title"] for gig in response.json()["results"]]


def test_only_active_gigs_are_listed_newest_first(api_client, make_gig, seller):
    make_gig("I will write a compelling product description")
    make_gig("I will draft a press release for your launch", status="draft")
    make_gig("I will build a landing page in one day")
    body = api_client.get(f"{GIGS}/").json()
    assert [gig["title"] for gig in body["results"]] == ["I will build a landing page in one day",
                                                         "I will write a compelling product description"]
    assert body["count"] == 2
    assert "description" not in body["results"][0] and body["results"][0]["price_from"] == "40.00"


def test_filters_by_price_delivery_category_seller_and_tags(api_client, make_gig, caller):
    other = caller()
    make_gig("I will design a minimalist logo for startups", price="30.00", days=2, tags=("logo", "minimal"))
    make_gig("I will design a vintage logo with hand lettering", price="90.00", days=10, tags=("logo", "vintage"))
    make_gig("I will build your Django backend and REST API", price="400.00", days=14,
             category="backend-and-apis", tags=("django", "api"), owner=other)
    search = lambda **params: sorted(titles(api_client.get(f"{GIGS}/", params)))  # noqa: E731
    assert search(min_price="50") == ["I will build your Django backend and REST API",
                                      "I will design a vintage logo with hand lettering"]
    assert search(max_price="50") == ["I will design a minimalist logo for startups"]
    assert search(min_price="50", max_price="100") == ["I will design a vintage logo with hand lettering"]
    assert search(delivery_days="7") == ["I will design a minimalist logo for startups"]
    assert search(category="graphics-and-design") == ["I will design a minimalist logo for startups",
                                                      "I will design a vintage logo with hand lettering"]
    assert search(category="backend-and-apis") == ["I will build your Django backend and REST API"]
    assert search(seller=other.username) == ["I will build your Django backend and REST API"]
    assert search(seller=other.id) == ["I will build your Django backend and REST API"]
    assert search(seller="nobody_at_all") == []
    assert search(tags="logo,vintage") == ["I will design a vintage logo with hand lettering"]
    assert search(tags="LOGO") == ["I will design a minimalist logo for startups",
                                   "I will design a vintage logo with hand lettering"]


def test_orderings(api_client, make_gig, search_backend):
    cheap = make_gig("I will proofread your thesis in English", price="20.00", category="proofreading-and-editing")
    dear = make_gig("I will edit your novel line by line", price="300.00", category="proofreading-and-editing")
    middle = make_gig("I will translate your website into Spanish", price="80.00", category="translation")
    for rating in (5, 5):
        deliver(event("review.created", _review(middle["id"], rating)))
    deliver(event("review.created", _review(cheap["id"], 3)))
    for _ in range(3):
        deliver(event("order.completed", _sale(dear["id"])))
    search_backend.refresh()
    order = lambda ordering: titles(api_client.get(f"{GIGS}/", {"ordering": ordering}))  # noqa: E731
    assert order("price") == [cheap["title"], middle["title"], dear["title"]]
    assert order("-price") == [dear["title"], middle["title"], cheap["title"]]
    assert order("-created_at") == [middle["title"], dear["title"], cheap["title"]]
    assert order("-rating") == [middle["title"], cheap["title"], dear["title"]]
    assert order("-orders")[0] == dear["title"]
    assert titles(api_client.get(f"{GIGS}/", {"min_rating": "4"})) == [middle["title"]]


def test_pages_neither_overlap_nor_skip_when_many_gigs_tie(api_client, make_gig):
    created = {make_gig(f"I will design social media banners, set {n}", price="25.00")["id"] for n in range(7)}
    seen = []
    for page in (1, 2, 3):
        body = api_client.get(f"{GIGS}/", {"ordering": "price", "page_size": 3, "page": page}).json()
        seen.extend(gig["id"] for gig in body["results"])
    assert len(seen) == 7 and set(seen) == created
    problem(api_client.get(f"{GIGS}/", {"page_size": 3, "page": 4}), 404)


def test_facets_count_categories_and_price_bands_of_the_whole_result(api_client, make_gig):
    make_gig("I will design a mascot logo for your team", price="20.00")
    make_gig("I will design a flat logo for your app", price="60.00")
    make_gig("I will write SEO blog posts about software", price="60.00", category="articles-and-blog-posts")
    body = api_client.get(f"{GIGS}/", {"page_size": 1}).json()
    assert len(body["results"]) == 1
    categories = {row["slug"]: row["count"] for row in body["facets"]["categories"]}
    assert categories == {"logo-design": 2, "articles-and-blog-posts": 1}
    bands = {(row["min"], row["max"]): row["count"] for row in body["facets"]["price_bands"]}
    assert bands[("0.00", "25.00")] == 1 and bands[("50.00", "100.00")] == 2 and bands[("500.00", None)] == 0


def test_an_exact_title_match_ranks_first(api_client, make_gig):
    make_gig("I will design a logo and a full brand identity", description="Logo design, brand book, logo files.")
    make_gig("I will create a logo animation for your intro", description="Animated logo design for video.")
    exact = make_gig("Professional logo design", description="A logo.")
    assert titles(api_client.get(f"{GIGS}/", {"q": "professional logo design"}))[0] == exact["title"]


def test_prefixes_and_a_one_letter_typo_still_find_the_gig(api_client, make_gig):
    wanted = make_gig("I will build a Shopify store for your brand", category="website-development",
                      tags=("shopify", "ecommerce"))
    make_gig("I will paint a watercolour portrait of your pet", category="illustration", tags=("art",))
    assert titles(api_client.get(f"{GIGS}/", {"q": "shopi"})) == [wanted["title"]]
    assert titles(api_client.get(f"{GIGS}/", {"q": "shopfiy store"}))[:1] == [wanted["title"]]
    assert titles(api_client.get(f"{GIGS}/", {"q": "ecommerce"})) == [wanted["title"]]  # found by its tag
    assert titles(api_client.get(f"{GIGS}/", {"q": "quantum chromodynamics"})) == []


# The vocabulary is the database backend's; Elasticsearch has its own fuzziness.
@pytest.mark.parametrize("search_backend", ["database"], indirect=True)
def test_misspelt_words_are_corrected_to_words_of_titles_and_tags(api_client, make_gig):
    wanted = make_gig("I will design a geometric logo for your startup", tags=("minimalist", "branding"))
    make_gig("I will write a blog post about startups", category="articles-and-blog-posts", tags=("writing",))
    assert titles(api_client.get(f"{GIGS}/", {"q": "geomteric lgoo"})) == [wanted["title"]]  # swapped letters
    assert titles(api_client.get(f"{GIGS}/", {"q": "minimalst logo"})) == [wanted["title"]]  # a tag, a letter short
    assert titles(api_client.get(f"{GIGS}/", {"q": "logo dashboard"})) == []  # no word near "dashboard"
    assert titles(api_client.get(f"{GIGS}/", {"q": "blog geometric"})) == []  # both are words: no correction


@pytest.mark.parametrize("search_backend", ["database"], indirect=True)
def test_words_of_drafts_and_deleted_gigs_leave_the_vocabulary_on_rebuild(make_gig, seller,
                                                                          django_capture_on_commit_callbacks):
    make_gig("I will paint a watercolour portrait", category="illustration", tags=("art",))
    make_gig("I will sketch a charcoal caricature", category="illustration", tags=("art",), status="draft")
    gone = make_gig("I will record a baritone voicemail greeting", category="voice-over", tags=("audio",))
    assert "charcoal" not in vocabulary_words()
    with django_capture_on_commit_callbacks(execute=True):
        seller.client.delete(f"{GIGS}/{gone['id']}/")
    assert "baritone" in vocabulary_words()  # kept until a rebuild: a correction to it finds nothing
    call_command("rebuild_search_words", stdout=io.StringIO())
    assert {"watercolour", "portrait", "paint", "art"} <= vocabulary_words()
    assert not {"baritone", "charcoal", "will", "a"} & vocabulary_words()


def vocabulary_words() -> set[str]:
    return set(SearchWord.objects.values_list("word", flat=True))


@pytest.mark.parametrize("term, candidates, expected", [
    ("desgin", ["designs", "design", "desk", "desgin2"], ["design", "desgin2", "designs"]),
    ("lgoo", ["log", "logo", "loop"], ["logo"]),  # a swap is one edit
    ("lgo", ["logo", "lego"], ["logo", "lego"]),
    ("dashboard", ["dashcam", "board"], []),
])
def test_corrections_are_within_elasticsearchs_auto_fuzziness(term, candidates, expected):
    assert vocabulary._within_edits(term, candidates) == expected


def test_the_last_word_may_be_half_typed_the_others_are_whole_words(api_client, make_gig):
    logo = make_gig("I will design a minimalist logo for your brand")
    logotype = make_gig("I will design logotype guidelines for your brand")
    assert titles(api_client.get(f"{GIGS}/", {"q": "logo desi"})) == [logo["title"]]
    assert sorted(titles(api_client.get(f"{GIGS}/", {"q": "design logo"}))) == sorted([logo["title"], logotype["title"]])


def test_search_combines_with_filters(api_client, make_gig):
    make_gig("I will design a modern logo", price="30.00")
    make_gig("I will design a luxury logo", price="300.00")
    assert titles(api_client.get(f"{GIGS}/", {"q": "logo design", "max_price": "100"})) == ["I will design a modern logo"]


@pytest.mark.parametrize("params, field", [
    ({"min_price": "abc"}, "min_price"),
    ({"max_price": "-1"}, "max_price"),
    ({"min_price": "50", "max_price": "10"}, "max_price"),
    ({"delivery_days": "soon"}, "delivery_days"),
    ({"delivery_days": "0"}, "delivery_days"),
    ({"min_rating": "6"}, "min_rating"),
    ({"ordering": "random"}, "ordering"),
    ({"category": "no-such-category"}, "category"),
    ({"tags": "a,b,c,d,e,f"}, "tags"),
    ({"page_size": "0"}, "page_size"),
    ({"page": "first"}, "page"),
])
def test_bad_filters_are_a_400_naming_the_parameter(api_client, db, params, field):
    assert field in problem(api_client.get(f"{GIGS}/", params), 400)["errors"]


def test_deleted_and_paused_gigs_leave_the_results(api_client, make_gig, seller, search_backend,
                                                   django_capture_on_commit_callbacks):
    gone = make_gig("I will record a warm voice over in English", category="voice-over")
    paused = make_gig("I will record a calm voice over for meditation", category="voice-over")
    with django_capture_on_commit_callbacks(execute=True):
        seller.client.delete(f"{GIGS}/{gone['id']}/")
        seller.client.patch(f"{GIGS}/{paused['id']}/", {"status": "paused"}, format="json")
    search_backend.refresh()
    assert titles(api_client.get(f"{GIGS}/", {"q": "voice over"})) == []
    assert Gig.objects.count() == 2


def _review(gig_id: str, rating: int) -> dict:
    return {"review_id": str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "gig_id": gig_id,
            "buyer_id": str(uuid.uuid4()), "seller_id": str(uuid.uuid4()), "rating": rating, "comment": "",
            "created_at": "2026-05-20T12:00:00Z", **RATINGS}


def _sale(gig_id: str) -> dict:
    return {"order_id": str(uuid.uuid4()), "gig_id": gig_id, "buyer_id": str(uuid.uuid4()),
            "seller_id": str(uuid.uuid4()), "price": "10.00", "currency": "USD", "completed_at": "2026-05-19T18:30:00Z",
            "package": "basic", "title": "A gig", "by": "buyer"}


def _hidden(review: dict) -> dict:
    return {"review_id": review["review_id"], "order_id": review["order_id"], "gig_id": review["gig_id"],
            "seller_id": review["seller_id"], "reason": "abusive", "hidden_at": "2026-05-21T09:00:00Z", **RATINGS}


def test_a_hidden_review_stops_counting_even_when_told_again_or_late(make_gig):
    gig = make_gig("I will write product descriptions for your shop", price="30.00")
    kept, hidden = _review(gig["id"], 5), _review(gig["id"], 1)
    deliver(event("review.created", kept), event("review.created", hidden))
    rating = lambda: Gig.objects.values_list("rating_avg", "rating_count").get(pk=gig["id"])  # noqa: E731
    assert rating() == (3, 2)

    deliver(event("review.hidden", _hidden(hidden)))
    assert rating() == (5, 1)
    deliver(event("review.created", hidden))  # the review told again after it was hidden (a replay)
    assert rating() == (5, 1)

    late = _review(gig["id"], 1)  # hidden before its review.created arrived (redelivered, dead-lettered...)
    deliver(event("review.hidden", _hidden(late)))
    deliver(event("review.created", late))
    assert rating() == (5, 1)


def _published(gig_id: str, *ratings: tuple[str, int]) -> dict:
    """review.published for one order of ``gig_id``: ``ratings`` as (direction, stars)."""
    buyer_id, seller_id = str(uuid.uuid4()), str(uuid.uuid4())
    authors = {"buyer_to_seller": buyer_id, "seller_to_buyer": seller_id}
    return {"order_id": str(uuid.uuid4()), "gig_id": gig_id, "buyer_id": buyer_id, "seller_id": seller_id,
            "reason": "both_reviewed", "published_at": "2026-05-21T08:00:00Z",
            "reviews": [{"review_id": str(uuid.uuid4()), "direction": direction, "author_id": authors[direction],
                         "rating": stars, "comment": "", "created_at": "2026-05-20T12:00:00Z"}
                        for direction, stars in ratings],
            **RATINGS, "buyer_rating": {"rating_avg": "1.00", "rating_count": 1}}


def test_published_buyer_reviews_rate_the_gig_once_and_the_sellers_reviews_of_buyers_do_not(make_gig):
    gig = make_gig("I will proofread your thesis", price="45.00")
    rating = lambda: Gig.objects.values_list("rating_avg", "rating_count").get(pk=gig["id"])  # noqa: E731
    both = _published(gig["id"], ("buyer_to_seller", 4), ("seller_to_buyer", 1))
    deliver(event("review.published", both))
    deliver(event("review.published", both))  # told again under another event id
    assert rating() == (4, 1)
    deliver(event("review.published", _published(gig["id"], ("seller_to_buyer", 1))))  # a lone review of the buyer
    assert rating() == (4, 1)
    [by_seller] = [review for review in both["reviews"] if review["direction"] == "seller_to_buyer"]
    deliver(event("review.hidden", {**_hidden({**by_seller, **both}), "direction": "seller_to_buyer",
                                    "buyer_id": both["buyer_id"], "buyer_rating": both["buyer_rating"]}))
    assert rating() == (4, 1)
    assert api_client_rating(gig["id"]) == ("4.00", 1)


def api_client_rating(gig_id: str) -> tuple:
    from rest_framework.test import APIClient

    body = APIClient().get(f"/api/gigs/{gig_id}/").json()
    return body["rating_avg"], body["rating_count"]


def _search_statements(api_client, params: dict) -> tuple[dict, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as statements:
        response = api_client.get(f"{GIGS}/", params)
    assert response.status_code == 200, response.content
    return response.json(), [statement["sql"] for statement in statements]


def test_a_repeated_search_is_answered_from_the_cache_until_a_gig_changes(api_client, seller, settings,
                                                                          django_capture_on_commit_callbacks):
    settings.MARKETPLACE_ELASTICSEARCH_URL = ""  # the database search keeps its results; Elasticsearch does not
    with django_capture_on_commit_callbacks(execute=True):
        first = create_gig(seller, title="I will design a minimalist logo for startups")
        create_gig(seller, title="I will design a vintage logo with hand lettering")
    params = {"q": "logo design", "max_price": "100", "ordering": "relevance"}
    computed, statements = _search_statements(api_client, params)
    assert computed["count"] == 2 and any("ts_rank(" in sql for sql in statements)
    assert any("COUNT(" in sql for sql in statements)

    kept, statements = _search_statements(api_client, params)
    assert kept == computed
    # Only the page's gigs are read: no pass over the matching gigs for the count, facets or order.
    assert not any("ts_rank(" in sql or "COUNT(" in sql or "to_tsquery" in sql for sql in statements)

    with django_capture_on_commit_callbacks(execute=True):
        changed = seller.client.patch(f"{GIGS}/{first['id']}/", {"title": "I will write your product descriptions"},
                                      format="json")
    assert changed.status_code == 200, changed.content
    after, statements = _search_statements(api_client, params)
    assert after["count"] == 1 and [gig["title"] for gig in after["results"]] == [
        "I will design a vintage logo with hand lettering"]
    assert after["facets"]["categories"] == [{"slug": "logo-design", "name": "Logo Design", "count": 1}]


def test_a_change_inside_a_transaction_is_not_hidden_by_results_kept_meanwhile(api_client, seller, settings):
    """A search between a change and its commit keeps what it saw under a generation the commit retires."""
    from catalog.search import memo

    settings.MARKETPLACE_ELASTICSEARCH_URL = ""
    before = memo.generation()
    memo.forget_all()  # as a change does, inside its transaction: a new generation at once...
    during = memo.generation()
    assert during != before
    from django.db import connection

    callbacks = [callback for _, callback, _ in connection.run_on_commit]
    assert callbacks, "...and another once the change commits"
    callbacks[-1]()
    assert memo.generation() not in (before, during)
