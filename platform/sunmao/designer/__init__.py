"""The designer: drafts of the app documents, checks with the plan in words, publish, history,
diffs, rollback, three-way merges and packages — and the pages and API that drive them.

Layers: ``jsonpath``, ``diff``, ``merge`` and ``canonical`` are pure; ``drafts``, ``checks``,
``publishing``, ``history`` and ``packages`` work on a ``Runtime``; ``api`` and ``pages`` are
the web adapters (``/api/v1/_design/...`` and ``/designer``).
"""
