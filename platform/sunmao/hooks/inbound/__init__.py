"""Inbound channels: orders arriving by webhook or pulled from a provider's API.

A ``channel`` document (``metadata/channel.schema.json``) says how a provider's deliveries
are authenticated, answered when they are pings, mapped onto an entity (an order with its
lines and customer), cleaned, de-duplicated and held for a person when needed. Nothing here
knows an app: entities and fields all come from the document.

Public surface:

* :func:`compile_channels` — the feature compiler (``snapshot.features["channels"]``);
* :func:`receive` — one webhook request (``web.py`` serves ``POST /hooks/<channel>``);
* :func:`pull`, :func:`pull_all` — poll pull channels (a scheduled job, ``sunmao hooks pull``);
* :func:`replay`, :func:`list_deliveries`, :func:`get_delivery` — the delivery log for
  screens and ``sunmao hooks``;
* :class:`SecretStore`, :func:`secret_store`, :func:`set_secret` — named, encrypted secrets;
* the ``hooks.pull`` job (registered in ``sunmao.jobs.builtin``) runs :func:`pull` on a schedule.
"""

from .compiler import compile_channels
from .intake import Answer, Request, receive, replay
from .pull import pull, pull_all, sign
from .secrets import SecretStore, secret_store, set_secret
from .store import get as get_delivery
from .store import list_deliveries

__all__ = [
    "Answer",
    "Request",
    "SecretStore",
    "compile_channels",
    "get_delivery",
    "list_deliveries",
    "pull",
    "pull_all",
    "receive",
    "replay",
    "secret_store",
    "set_secret",
    "sign",
]
