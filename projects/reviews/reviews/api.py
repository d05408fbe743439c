"""The review HTTP API: parse, call a service or selector, render."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.inputs import validated_input
from marketplace_libs.openapi import problem_answers
from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .models import Subject
from .serializers import ReplyInput, ReviewInput, ReviewOutput, SubjectParams, SummaryOutput


def _subject(request) -> dict:
    params = SubjectParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


class ReviewsView(APIView):
    pagination_class = StandardPagination

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(summary="The visible reviews of a gig or of a seller, newest first",
                   parameters=[SubjectParams], responses={200: ReviewOutput(many=True)})
    def get(self, request):
        reviews = selectors.visible_reviews(**_subject(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reviews, request, view=self)
        return paginator.get_paginated_response(ReviewOutput(page, many=True).data)

    @extend_schema(summary="Review a completed order (its buyer, once)", request=ReviewInput,
                   responses={201: ReviewOutput},
                   description="The review service learns of the completion by an event, usually within a second "
                               "of the accept: until then the answer is 409 `completion_pending` with `Retry-After`.",
                   examples=[OpenApiExample("Five stars", request_only=True, value={
                       "order_id": "7b0f3c1e-2a51-4c1e-9d33-6f1f2b8f0a11", "rating": 5,
                       "comment": "Fast, friendly and exactly what I asked for."})])
    @problem_answers((403, "Only the buyer of a completed order may review it."),
                     (409, "Reviewed already, or the completion has not reached the review service yet "
                           "(`completion_pending`, with `Retry-After`)."))
    def post(self, request):
        review = services.submit_review(buyer_id=request.user.id, buyer_username=request.user.username,
                                        **validated_input(ReviewInput, request))
        return Response(ReviewOutput(review).data, status=status.HTTP_201_CREATED)


class ReplyView(APIView):
    @extend_schema(summary="Reply to a review (the reviewed seller, once)", request=ReplyInput,
                   responses={200: ReviewOutput})
    @problem_answers((403, "Only the seller of the reviewed order may reply."),
                     (409, "The seller has replied already."))
    def post(self, request, review_id):
        review = services.reply(review_id=review_id, seller_id=request.user.id, **validated_input(ReplyInput, request))
        return Response(ReviewOutput(review).data)


class SummaryView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Rating summary of a gig or a seller", parameters=[SubjectParams],
                   responses={200: SummaryOutput})
    def get(self, request):
        subject = _subject(request)
        if "gig_id" in subject:
            return Response(selectors.summary(Subject.GIG, subject["gig_id"]))
        return Response(selectors.summary(Subject.SELLER, subject["seller_id"]))
