"""The HTTP metrics every web process keeps: django-prometheus's, the ones dashboards and alerts read.

django-prometheus's own middleware updates about a dozen series per request (by transport, body
sizes, charset, AJAX, the latency before other middleware...). In the multiprocess mode gunicorn's
workers share, each update is a write to a memory-mapped file under a lock, which made the metrics
a visible part of an API call's cost (docs/performance.md, issue 24). This middleware, in place of
both of its, keeps the series docs/observability.md lists: requests by method and by view,
responses by status, latency by view and method, and exceptions by type and view.
"""

from __future__ import annotations

from django_prometheus.middleware import PrometheusAfterMiddleware
from django_prometheus.utils import Time, TimeSince


class RequestMetricsMiddleware(PrometheusAfterMiddleware):
    def process_request(self, request):
        self.metrics.requests_by_method.labels(method=self._method(request)).inc()
        request.prometheus_after_middleware_event = Time()

    def process_template_response(self, request, response):
        return response

    def process_response(self, request, response):
        method = self._method(request)
        self.metrics.responses_by_status.labels(status=str(response.status_code)).inc()
        started = getattr(request, "prometheus_after_middleware_event", None)
        if started is not None:
            self.metrics.requests_latency_by_view_method.labels(
                view=self._get_view_name(request), method=method).observe(TimeSince(started))
        else:
            self.metrics.requests_unknown_latency.inc()
        return response
