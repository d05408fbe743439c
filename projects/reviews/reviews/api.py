"""The review HTTP API: parse, call a service or selector, render."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.errors import NotFound
from marketplace_libs.inputs import validated_input
from marketplace_libs.openapi import problem_answers
from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .models import Subject
from .serializers import ListParams, ReplyInput, ReviewInput, ReviewOutput, SubjectParams, SummaryOutput

SUBJECTS = {"gig_id": Subject.GIG, "seller_id": Subject.SELLER, "buyer_id": Subject.BUYER}


def _params(request, serializer=SubjectParams) -> dict:
    params = serializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


def _rendered(reviews) -> list:
    return ReviewOutput(reviews, many=True, context={"buyers": selectors.buyers_of(reviews)}).data


def _caller_id(request):
    return request.user.id if request.user.is_authenticated else None


class ReviewsView(APIView):
    pagination_class = StandardPagination

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(summary="The published reviews of a gig, a seller or a buyer, newest first; or those of an order "
                           "the caller may read", parameters=[ListParams], responses={200: ReviewOutput(many=True)},
                   description="`gig_id` and `seller_id` list the buyers' reviews, `buyer_id` the sellers' reviews "
                               "of that buyer: published ones only. `order_id` lists that order's published "
                               "reviews and the caller's own, hidden or not.")
    def get(self, request):
        params = _params(request, ListParams)
        if "order_id" in params:
            reviews = selectors.order_reviews(order_id=params["order_id"], user_id=_caller_id(request))
        else:
            reviews = selectors.public_reviews(**params)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reviews, request, view=self)
        return paginator.get_paginated_response(_rendered(page))

    @extend_schema(summary="Review a completed order (its buyer and its seller, once each, within the window)",
                   request=ReviewInput, responses={201: ReviewOutput},
                   description="The buyer reviews the seller and the gig, the seller reviews the buyer. The review "
                               "is `hidden` (seen by its author alone) until the other party has reviewed too, or "
                               "the window (`MARKETPLACE_REVIEW_WINDOW_DAYS` after completion) has closed; then both "
                               "are published together. The review service learns of the completion by an event, "
                               "usually within a second of the accept: until then the answer is 409 "
                               "`completion_pending` with `Retry-After`.",
                   examples=[OpenApiExample("Five stars", request_only=True, value={
                       "order_id": "7b0f3c1e-2a51-4c1e-9d33-6f1f2b8f0a11", "rating": 5,
                       "comment": "Fast, friendly and exactly what I asked for."})])
    @problem_answers((403, "Only the buyer and the seller of a completed order may review it."),
                     (409, "Reviewed already by the caller; the window has closed (`review_window_closed`); or the "
                           "completion has not reached the review service yet (`completion_pending`, with "
                           "`Retry-After`)."))
    def post(self, request):
        review = services.submit_review(author_id=request.user.id, author_username=request.user.username,
                                        **validated_input(ReviewInput, request))
        return Response(_rendered([review])[0], status=status.HTTP_201_CREATED)


class ReviewView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="One review: published, or the caller's own", responses={200: ReviewOutput})
    @problem_answers((404, "No such review, or a hidden review of someone else."))
    def get(self, request, review_id):
        review = selectors.reviews_seen_by(_caller_id(request)).filter(pk=review_id).first()
        if review is None:
            raise NotFound("No such review.")
        return Response(_rendered([review])[0])


class ReplyView(APIView):
    @extend_schema(summary="Reply to a published review (the reviewed party, once)", request=ReplyInput,
                   responses={200: ReviewOutput})
    @problem_answers((403, "Only the reviewed party may reply."),
                     (404, "No such review, or not published yet."),
                     (409, "The review has a reply already."))
    def post(self, request, review_id):
        review = services.reply(review_id=review_id, user_id=request.user.id, **validated_input(ReplyInput, request))
        return Response(_rendered([review])[0])


class SummaryView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Rating summary of a gig, a seller or a buyer (published reviews)",
                   parameters=[SubjectParams], responses={200: SummaryOutput})
    def get(self, request):
        [(name, subject_id)] = _params(request).items()
        return Response(selectors.summary(SUBJECTS[name], subject_id))
