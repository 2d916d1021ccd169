"""The WSGI entry point for production servers: ``gunicorn 'sunmao.wsgi:application'``.

Configuration comes from the environment (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``);
every worker process holds its own runtime (with every feature, :mod:`sunmao.assembly`) and
follows published versions on its own.
"""

from __future__ import annotations

import os

from sunmao import assembly

runtime = assembly.runtime(os.environ.get("DATABASE_URL"))
runtime.setup()
application = assembly.application(runtime)
