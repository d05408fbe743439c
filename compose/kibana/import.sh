#!/bin/sh
# One-shot (the kibana-setup service): imports the data view and the dashboard
# (saved-objects.ndjson, written by saved_objects.py). overwrite=true: running it again updates them.
set -eu
KIBANA=${KIBANA_URL:-http://kibana:5601}
until curl -fsS -u "elastic:${ELASTIC_PASSWORD}" "$KIBANA/api/status" | grep -q '"level":"available"'; do
  echo "waiting for Kibana"; sleep 3
done
answer=$(curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H 'kbn-xsrf: true' \
  -F "file=@$(dirname "$0")/saved-objects.ndjson" \
  "$KIBANA/api/saved_objects/_import?overwrite=true")
echo "$answer"
echo "$answer" | grep -q '"success":true' || { echo "the import failed"; exit 1; }
echo "Kibana: the 'Marketplace overview' dashboard is imported"
