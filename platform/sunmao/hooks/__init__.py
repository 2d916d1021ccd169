"""Hooks: inbound channels (``inbound/``: webhooks and pulled order APIs feeding the record
service) and outbound deliveries (``outbound/``: events leaving the system).

Both sit above the record service and below the web layer; each sub-package is usable alone.
"""
