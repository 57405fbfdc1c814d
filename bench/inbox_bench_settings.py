"""Production settings with channels-redis' pub/sub layer, for ``inbox_latency.py --layer pubsub``.

The pub/sub layer sends a group message with one PUBLISH and pushes it to subscribed workers,
where the default layer needs four round trips per group_send and a blocking pop per message
received. It keeps no messages for a disconnected worker; the inbox tolerates that because
each socket resyncs from the database (referral_hub.inbox.consumers).
"""

from referral_hub.settings import *  # noqa: F403
from referral_hub.settings import REDIS_URL

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    }
}
