"""一事一议 (one matter, one discussion): fund and labour raising for village public works.

The package itself is the plugin object (entry point `yishi = "cunwu_plugins.yishi"`): pluggy finds the hook
implementations imported here from `plugin`.
"""

from .mywork import my_work
from .plugin import (
    demo_data,
    manifest,
    matter_step_reached,
    matter_types,
    menu_links,
    page_slots,
    register_commands,
    register_models,
    register_routes,
    vote_rule_sets,
)

__all__ = [
    "demo_data",
    "manifest",
    "matter_step_reached",
    "matter_types",
    "menu_links",
    "my_work",
    "page_slots",
    "register_commands",
    "register_models",
    "register_routes",
    "vote_rule_sets",
]
