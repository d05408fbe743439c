import os

from marketplace_libs.settings import service_settings

globals().update(service_settings(os.environ.get("PROBE_SERVICE", "probe_a"),
                                  apps=["marketplace_libs.events", "probe"], urlconf="probe_project.urls"))

PROBE_SLOW_SECONDS = float(os.environ.get("PROBE_SLOW_SECONDS", "4"))
EVENTS_RETRY_BASE_SECONDS = float(os.environ.get("EVENTS_RETRY_BASE_SECONDS", "0.05"))
PROBE_SUBSCRIBES = os.environ.get("PROBE_SUBSCRIBES", "1") == "1"
# The probes stand in for the auth service: they publish its user.registered.
MARKETPLACE_EVENTS_STAND_IN = True
