"""The files layer's local set-up: nginx's routes for uploads and signed links, and moto's S3 server."""

import re

import httpx

from devtools import moto, nginx


def rendered(tmp_path, **env) -> str:
    conf = nginx.render(tmp_path / "nginx", env={"MARKETPLACE_VAR_DIR": str(tmp_path / "var"), **env})
    nginx.test_config(nginx.ensure_installed(), conf)  # nginx itself accepts it
    return conf.read_text()


def test_upload_routes_take_the_upload_cap_and_everything_else_keeps_the_body_limit(tmp_path):
    text = rendered(tmp_path, MARKETPLACE_MAX_UPLOAD_MB="7")
    for service in nginx.UPLOAD_SERVICES:
        block = re.search(r"location ~ \^/api/" + service + r"/\.\+/files\$ \{(.*?)\n        \}", text, re.S).group(1)
        assert "client_max_body_size 8m;" in block and "auth_request /_auth/verify;" in block
    assert re.search(r"server \{.*?client_max_body_size 10m;", text, re.S)
    assert "location ~ ^/api/gigs/.+/files$" not in text


def test_stored_files_are_internal_and_reached_only_through_signed_links(tmp_path):
    text = rendered(tmp_path)
    stored = re.search(r"location /_stored/ \{(.*?)\n        \}", text, re.S).group(1)
    assert "internal;" in stored and f"alias {tmp_path / 'var' / 'media'}/;" in stored
    assert "X-Content-Type-Options nosniff" in stored and "types { }" in stored
    files = re.search(r"location /files/ \{(.*?)\n        \}", text, re.S).group(1)
    assert "proxy_pass http://gateway_app;" in files and "proxy_headers.conf" in files
    # The public media location serves avatars only.
    assert "location /media/users/ {" in text and "location /media/ {" not in text
    assert "location /storage/" not in text


def test_the_storage_proxy_passes_the_host_the_urls_were_signed_for(tmp_path):
    text = rendered(tmp_path, MARKETPLACE_GATEWAY_STORAGE_UPSTREAM="http://127.0.0.1:9000")
    block = re.search(r"location /storage/ \{(.*?)\n        \}", text, re.S).group(1)
    assert "proxy_pass http://127.0.0.1:9000/;" in block and "proxy_set_header Host 127.0.0.1:9000;" in block
    assert 'proxy_set_header Authorization "";' in block and "limit_except GET HEAD" in block


def test_moto_answers_as_s3_and_a_persons_own_endpoint_is_kept(tmp_path):
    import boto3

    endpoint = moto.ensure_running(moto.REPO_ROOT / "var")
    assert httpx.get(f"{endpoint}/moto-api/").status_code == 200
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t",
                          region_name="us-east-1")
    client.create_bucket(Bucket="devtools-probe")
    client.put_object(Bucket="devtools-probe", Key="k", Body=b"v")
    assert client.get_object(Bucket="devtools-probe", Key="k")["Body"].read() == b"v"
    assert moto.prepare({moto.VARIABLE: "http://elsewhere:1"}, var_dir=tmp_path)[moto.VARIABLE] == "http://elsewhere:1"
