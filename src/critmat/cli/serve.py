"""``critmat serve``: the REST API and the dashboard in one ASGI process (uvicorn; ``pip install "critmat[web]"``)."""

from __future__ import annotations

import os

import typer

from critmat.cli.common import PANEL_DATA, DbOption, warehouse


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the root app."""

    @app.command("serve", rich_help_panel=PANEL_DATA)
    def serve_cmd(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (127.0.0.1: this machine "
                                 "only; behind a reverse proxy keep it so)."),
        port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port (0: any free port)."),
        region: str = typer.Option("nh-fl", "--region", "-r", help="Default region of the dashboard."),
        workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes, all reading the same "
                                    "warehouse read-only."),
        root_path: str = typer.Option("", "--root-path", help="URL prefix when a reverse proxy serves it under a "
                                      "sub-path, e.g. /critmat."),
        proxy_headers: bool = typer.Option(False, "--proxy-headers/--no-proxy-headers",
                                           help="Trust X-Forwarded-* from --forwarded-allow-ips."),
        forwarded_allow_ips: str | None = typer.Option(None, "--forwarded-allow-ips",
                                                       help="Proxies whose X-Forwarded-* headers are trusted "
                                                       "(comma-separated IPs or networks; default: the "
                                                       "FORWARDED_ALLOW_IPS variable, else 127.0.0.1)."),
        compute_processes: int = typer.Option(2, "--compute-processes", min=0, max=32,
                                              help="Processes per worker that compute answers not in the cache "
                                              "(scenario recomputes, disruptions), so cached reads never wait "
                                              "behind them; 0: compute in the worker itself."),
        tiles: str | None = typer.Option(None, "--tiles", help="Optional basemap: an https tile URL template, e.g. "
                                         "https://tile.openstreetmap.org/{z}/{x}/{y}.png (the browser then loads "
                                         "tiles from there; without it the map needs no internet)."),
        tiles_attribution: str = typer.Option("", "--tiles-attribution", help="Attribution the tile provider "
                                              "requires, e.g. '© OpenStreetMap contributors'."),
        db: DbOption = None,
    ) -> None:
        """Serve the REST API (/api/v1, OpenAPI at /api/v1/openapi.json) and the dashboard (/).

        The warehouse is built first if missing or stale, then opened read-only by every worker. Everything
        the dashboard needs is served from here (no internet needed); every table downloads as CSV.
        """
        try:
            import uvicorn
        except ImportError:
            from critmat.errors import CritmatError

            raise CritmatError('critmat serve needs the web extra: pip install "critmat[web]"') from None
        from critmat.services.regions import region as region_of

        wh = warehouse(db)
        path = str(wh.path)
        region_of(wh, region)  # an unknown region fails here, with its message, not in every request
        wh.close()
        if tiles:
            from critmat.web.security import tile_origin

            tile_origin(tiles)  # a bad template fails here
        os.environ["CRITMAT_SERVE_TILES"] = tiles or ""
        os.environ["CRITMAT_SERVE_TILES_ATTRIBUTION"] = tiles_attribution
        os.environ["CRITMAT_SERVE_DB"] = path
        os.environ["CRITMAT_SERVE_REGION"] = region
        os.environ["CRITMAT_SERVE_PROCESSES"] = str(compute_processes)
        typer.echo(f"critmat: serving {path} on http://{host}:{port}{root_path}/ (Ctrl+C stops)", err=True)
        uvicorn.run("critmat.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    root_path=root_path, proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips,
                    server_header=False, log_level="info", timeout_keep_alive=30)
