"""Village meetings, registered through the core's own hooks."""

from __future__ import annotations

from cunwu import __version__, hookimpl
from cunwu.plugin_types import Manifest


@hookimpl
def manifest() -> Manifest:
    return Manifest(name="meetings", title_zh="村务会议", title_en="Village meetings", version=__version__, core=True)
