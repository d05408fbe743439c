"""The order service's settings for bench/order_flow.py: the real ones, plus trust in the bench's key.

The bench mints its buyers' and sellers' access tokens with a throwaway RSA key and hands the
service the public half as a JWKS document in ``MARKETPLACE_BENCH_JWKS``; nothing else differs
from ``config.settings``. Never used outside the bench (production settings are untouched).
"""

import json
import os

from config.settings import *  # noqa: F401,F403

MARKETPLACE_TOKEN_KEY_SOURCE = "orders_bench_settings.bench_key_source"


def bench_key_source():
    from marketplace_libs.tokens import JWKSKeySource

    document = json.loads(os.environ["MARKETPLACE_BENCH_JWKS"])
    return JWKSKeySource(lambda: document)
