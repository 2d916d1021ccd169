"""The WSGI entry point for production servers: ``gunicorn 'sunmao.web.wsgi:application'``.

Configuration comes from the environment (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``);
every worker process holds its own runtime and follows published versions on its own.
"""

from __future__ import annotations

import os

from sunmao.runtime import Runtime
from sunmao.web.dispatcher import create_wsgi

runtime = Runtime(os.environ.get("DATABASE_URL"))
runtime.setup()
application = create_wsgi(runtime)
