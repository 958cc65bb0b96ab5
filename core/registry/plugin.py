"""The village register, registered through the core's own hooks."""

from __future__ import annotations

from cunwu import __version__, hookimpl
from cunwu.plugin_types import Manifest


@hookimpl
def manifest() -> Manifest:
    return Manifest(name="registry", title_zh="村民登记", title_en="Village register", version=__version__, core=True)
