"""The review HTTP API: parse, call a service or selector, render."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace_libs.inputs import validated_input
from marketplace_libs.pagination import StandardPagination

from . import selectors, services
from .models import Subject
from .serializers import ReplyInput, ReviewInput, ReviewOutput, SubjectParams, SummaryOutput


def _subject(request) -> dict:
    params = SubjectParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


class ReviewsView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(parameters=[SubjectParams], responses={200: ReviewOutput(many=True)})
    def get(self, request):
        reviews = selectors.visible_reviews(**_subject(request))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(reviews, request, view=self)
        return paginator.get_paginated_response(ReviewOutput(page, many=True).data)

    @extend_schema(request=ReviewInput, responses={201: ReviewOutput})
    def post(self, request):
        review = services.submit_review(buyer_id=request.user.id, buyer_username=request.user.username,
                                        **validated_input(ReviewInput, request))
        return Response(ReviewOutput(review).data, status=status.HTTP_201_CREATED)


class ReplyView(APIView):
    @extend_schema(request=ReplyInput, responses={200: ReviewOutput})
    def post(self, request, review_id):
        review = services.reply(review_id=review_id, seller_id=request.user.id, **validated_input(ReplyInput, request))
        return Response(ReviewOutput(review).data)


class SummaryView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[SubjectParams], responses={200: SummaryOutput})
    def get(self, request):
        subject = _subject(request)
        if "gig_id" in subject:
            return Response(selectors.summary(Subject.GIG, subject["gig_id"]))
        return Response(selectors.summary(Subject.SELLER, subject["seller_id"]))
