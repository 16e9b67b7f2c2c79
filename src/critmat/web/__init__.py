"""The web face of critmat: a read-only REST API (``/api/v1``) and a dashboard, served by one ASGI app.

:func:`critmat.web.app.create_app` builds the app; ``critmat serve`` runs it with uvicorn. Like the CLI, the
web face only parses, calls :mod:`critmat.services` and renders; it computes no number of its own.
Nothing is imported at package import (FastAPI is an optional extra: ``pip install "critmat[web]"``).
"""
