"""四个组织全覆盖 — four-organisation coverage (docs/domain.md §8, docs/coverage.md): per village, the party
organisation, the self-governance bodies, economic co-operation and the order-and-stability "3+1", with the rates
of townships and the county and their trend.

The package itself is the plugin object (entry point `coverage = "cunwu_plugins.coverage"`): the hook
implementations live in `plugin.py`; `hookspecs` is the module of hooks this plugin offers to others
(`coverage_economic_organisations`).
"""

from . import hookspecs
from .plugin import demo_data, manifest, menu_links, page_slots, register_commands, register_models, register_routes

__all__ = ["demo_data", "hookspecs", "manifest", "menu_links", "page_slots", "register_commands", "register_models",
           "register_routes"]
