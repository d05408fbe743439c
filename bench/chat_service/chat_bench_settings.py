"""The chat service's settings for bench/chat.py: the real ones, plus trust in the bench's key.

The bench mints its users' access tokens with a throwaway RSA key and hands the service the public
half as a JWKS document in ``MARKETPLACE_BENCH_JWKS``; nothing else differs from ``config.settings``
(the per-user send limit is lifted through its own variable, MARKETPLACE_CHAT_SEND_LIMIT). Never
used outside the bench (production settings are untouched).
"""

import json
import os

from config.settings import *  # noqa: F401,F403

MARKETPLACE_TOKEN_KEY_SOURCE = "chat_bench_settings.bench_key_source"


def bench_key_source():
    from marketplace_libs.tokens import JWKSKeySource

    document = json.loads(os.environ["MARKETPLACE_BENCH_JWKS"])
    return JWKSKeySource(lambda: document)


# bench/chat.py --layer core: the same service on channels_redis's core layer instead of the pub/sub
# layer of config.settings, to compare what delivery costs on each (docs/performance.md, Chat).
if os.environ.get("MARKETPLACE_BENCH_CHANNEL_LAYER") == "core":
    CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [MARKETPLACE_REDIS_URL], "prefix": "bench-chat:", "capacity": 1000,  # noqa: F405
                   "expiry": 30},
    }}

