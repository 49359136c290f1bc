"""The Celery app both Celery peers use (celery_flows.py, celery_tasks.py): the
Redis broker and result backend, everything under one key prefix.

Settings: CELERY_REDIS (default redis://127.0.0.1:6379/0) and CELERY_PREFIX
(default bench-celery:), so the bench can remove what Celery wrote after.
"""
import os
import sys

from celery import Celery
from celery.signals import worker_ready

REDIS = os.environ.get("CELERY_REDIS", "redis://127.0.0.1:6379/0")
PREFIX = {"global_keyprefix": os.environ.get("CELERY_PREFIX", "bench-celery:")}


def make_app(name):
    app = Celery(name, broker=REDIS, backend=REDIS)
    app.conf.update(
        broker_transport_options=PREFIX,
        result_backend_transport_options=PREFIX,
        broker_connection_retry_on_startup=True,
        # Our tasks print to stdout, as ours do; Celery would turn that into log records.
        worker_redirect_stdouts=False,
    )
    return app


@worker_ready.connect
def say_ready(**_):
    # The bench waits for this line; Celery's own "ready." is logged only at INFO.
    print("celery: worker ready", file=sys.stderr, flush=True)
