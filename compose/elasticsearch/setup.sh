#!/bin/sh
# One-shot (the elastic-setup service): Elasticsearch's users and the logs' ILM policy and index
# template. Every call is a PUT or an idempotent POST: running it again changes nothing.
set -eu
ES=${ELASTICSEARCH_URL:-http://elasticsearch:9200}
HERE=$(dirname "$0")

es() {  # es METHOD PATH [curl args...]
  method=$1; path=$2; shift 2
  curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -X "$method" -H 'Content-Type: application/json' "$ES$path" "$@"
  echo
}

until curl -fsS -u "elastic:${ELASTIC_PASSWORD}" "$ES/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null; do
  echo "waiting for Elasticsearch"; sleep 2
done

echo "== kibana_system password"
es POST /_security/user/kibana_system/_password -d "{\"password\":\"${KIBANA_SYSTEM_PASSWORD}\"}"

echo "== roles and users: Filebeat (writes the logs), the gig search (its own indices)"
es PUT /_security/role/marketplace_logs_writer --data-binary "@$HERE/filebeat-role.json"
es PUT /_security/user/marketplace_filebeat -d "{\"password\":\"${FILEBEAT_PASSWORD}\",\"roles\":[\"marketplace_logs_writer\"]}"
es PUT /_security/role/marketplace_search --data-binary "@$HERE/search-role.json"
es PUT /_security/user/marketplace_search -d "{\"password\":\"${ELASTIC_SEARCH_PASSWORD}\",\"roles\":[\"marketplace_search\"]}"

echo "== ILM policy and index template of the logs"
es PUT /_ilm/policy/marketplace-logs --data-binary "@$HERE/ilm-policy.json"
es PUT /_index_template/marketplace-logs --data-binary "@$HERE/index-template.json"
echo "Elasticsearch is set up"
