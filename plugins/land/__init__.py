"""土地流转 — the land contract register and transfers of the land operating right (农村土地承包法 2018 art. 36–47;
农村土地经营权流转管理办法 2021; codes GB/T 35958-2018; docs/domain.md §6).

The package itself is the plugin object (entry point `land = "cunwu_plugins.land"`): the hook implementations live
in `plugin.py`; `hookspecs` is the module of hooks this plugin offers to others (`land_shares_contributed`).
"""

from . import hookspecs
from .plugin import (
    demo_data,
    manifest,
    menu_links,
    objection_raised,
    page_slots,
    register_commands,
    register_models,
    register_routes,
)

__all__ = [
    "demo_data",
    "hookspecs",
    "manifest",
    "menu_links",
    "objection_raised",
    "page_slots",
    "register_commands",
    "register_models",
    "register_routes",
]
