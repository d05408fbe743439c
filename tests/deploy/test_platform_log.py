"""What `manage_all.py up` prints and copies to var/log/platform.log: no secret in a line that did not
come through the platform's own (redacting) logging, such as nginx's error log."""

from devtools.processes import redact_plain_lines

NGINX_ERROR = ('2026/11/28 03:20:19 [error] 12#12: *5 upstream prematurely closed connection while reading '
               'response header from upstream, client: 127.0.0.1, server: _, request: '
               '"GET /ws/chat/?token=eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl HTTP/1.1", upstream: "http://127.0.0.1:8006/"')


def test_a_token_in_nginx_error_log_is_cut_out():
    line = redact_plain_lines(NGINX_ERROR.encode())
    assert "eyJ" not in line and "?token=[redacted]" in line and "upstream prematurely closed" in line


def test_json_lines_pass_unchanged_for_they_were_redacted_field_by_field():
    line = '{"message": "socket_refused", "token_error": "token_expired", "service": {"name": "chat"}}'
    assert redact_plain_lines(line) == line
    both = redact_plain_lines(f"{line}\n{NGINX_ERROR}")
    assert both.split("\n")[0] == line and "eyJ" not in both
