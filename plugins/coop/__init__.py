"""农民专业合作社 (farmer co-operatives): members, capital, transactions, year close and the surplus distribution.

The package itself is the plugin object (entry point `coop = "cunwu_plugins.coop"`): the hook implementations live
in `plugin.py` and are re-exported here.
"""

from .plugin import (
    coverage_economic_organisations,
    demo_data,
    land_shares_contributed,
    manifest,
    menu_links,
    register_commands,
    register_models,
    register_routes,
)

__all__ = ["coverage_economic_organisations", "demo_data", "land_shares_contributed", "manifest", "menu_links",
           "register_commands", "register_models", "register_routes"]
