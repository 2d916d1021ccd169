"""What every HTTP adapter shares, below the app factory and below the features' blueprints.

- :mod:`.context`: the request's runtime, snapshot and record service; the reader's language;
  errors as problem+json; the ``<entity:...>`` URL converter.
- :mod:`.requests`: the caller (``actor()``), JSON bodies, ``If-Match`` and ETags.
- :mod:`.preconditions`: ``If-Match`` as RFC 9110 has it.
- :mod:`.openapi`: the building blocks a blueprint documents its routes with.
- :mod:`.i18n`: Flask-Babel for the engine's own words, Babel for dates and money.

A feature's blueprint (``workflow/web.py``, ``hooks/inbound/web.py``...) imports these and
nothing of ``sunmao.web``: the app factory sits above every feature (``docs/engine.md``).
"""
