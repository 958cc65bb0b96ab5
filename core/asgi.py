"""ASGI entry point for servers: `uvicorn cunwu.asgi:create --factory` (sites from CUNWU_SITES_DIR / CUNWU_SITES)."""

from __future__ import annotations

import gc
import os
from typing import Any

from cunwu.app import create_app
from cunwu.db.migrate import pending
from cunwu.logs import configure_logging
from cunwu.runtime import Site
from cunwu.sites import discover_sites, sites_dir


def create() -> Any:
    configure_logging()
    only = [s for s in os.environ.get("CUNWU_SITES", "").split(",") if s]
    configs = discover_sites(sites_dir(), only or None)
    sites = [Site(config) for config in configs]
    for site in sites:
        missing = pending(site)
        if missing:
            raise SystemExit(f"site {site.slug}: database needs `cunwu db upgrade` (branches: {', '.join(missing)})")
    app = create_app(sites)
    # Everything built so far (plugins, templates, models, settings) lives as long as the worker: keep it out of the
    # garbage collector's full passes, which would otherwise walk it again and again under load.
    gc.freeze()
    return app
