"""Fixtures of the inbound and jobs tests, shared here: the order app with its shop channels, Redis."""

from tests.inbound.conftest import _secret_key, shop  # noqa: F401 - fixtures are used by name
from tests.jobs.conftest import redis_url, rq_queue  # noqa: F401
