"""The notice board, registered through the core's own hooks."""

from __future__ import annotations

from cunwu import __version__, hookimpl
from cunwu.plugin_types import Manifest


@hookimpl
def manifest() -> Manifest:
    return Manifest(name="notices", title_zh="村务公开", title_en="Public notice board", version=__version__, core=True)
