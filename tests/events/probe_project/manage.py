#!/usr/bin/env python
"""A stand-in service for the event-backbone tests and benchmark: it publishes and consumes
real events through the real machinery (libs/marketplace_libs/events), under the name given
by PROBE_SERVICE, so several copies act as several services."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "probe_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
