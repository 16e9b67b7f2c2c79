"""A critmat web server on 127.0.0.1 (a free port) in a background thread, for the web tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def running_server(db: Path, region: str = "nh-fl", root_path: str = "") -> Iterator[str]:
    """Serve the warehouse ``db`` (as behind a proxy that strips ``root_path``); yields the base URL; stops the
    server on exit."""
    import uvicorn

    from critmat.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(db, region), host="127.0.0.1", port=port, log_level="warning",
                            server_header=False, root_path=root_path)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
