"""低保 — rural minimum living guarantee (社会救助暂行办法 art. 9–13; 最低生活保障审核确认办法 2021).

The package itself is the plugin object (entry point `dibao = "cunwu_plugins.dibao"`): the hook implementations
live in `plugin.py` and are re-exported here.
"""

from cunwu_plugins.dibao.mywork import my_work
from cunwu_plugins.dibao.plugin import (
    audit_record_problems,
    demo_data,
    manifest,
    menu_links,
    objection_raised,
    page_slots,
    permission_allowed,
    permission_villages,
    register_commands,
    register_models,
    register_routes,
)

__all__ = [
    "audit_record_problems", "demo_data", "manifest", "menu_links", "my_work", "objection_raised", "page_slots",
    "permission_allowed", "permission_villages", "register_commands", "register_models", "register_routes",
]
