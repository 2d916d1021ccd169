"""Outbound deliveries: events leaving the system as webhooks and chat-robot messages.

``webhook`` documents (``metadata/webhook.schema.json``) are compiled per snapshot
(:func:`.model.compile_webhooks`); the outbox dispatcher's ``webhooks`` subscriber turns
matching events into ``sm_delivery`` rows, and runners attempt them
(:func:`.deliver.perform_delivery`). The delivery log, dead letters and replay are in
:mod:`.deliver`; ``sunmao webhooks`` is their command line.
"""
