"""The kinds of 四议两公开 matters a site knows: the core's (art. 24) and those its plugins bring (hook
`matter_types`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cunwu import i18n
from cunwu.i18n import _
from cunwu.meetings.services.common import MeetingError
from cunwu.plugin_types import MatterType

if TYPE_CHECKING:
    from cunwu.runtime import Site

#: The core's own matter types: the art. 24 list (reserved to the villagers' meeting) and other major matters.
CORE_MATTER_TYPES: tuple[MatterType, ...] = (
    MatterType("lost_work_allowance", "误工补贴人员及补贴标准", "Lost-work allowances", "meetings"),
    MatterType("collective_income", "集体经济所得收益的使用", "Use of collective income", "meetings"),
    MatterType("public_welfare", "兴办公益事业及筹资筹劳方案", "Public-welfare projects and their funding", "meetings"),
    MatterType("land_contracting", "土地承包经营方案", "Land contracting plan", "meetings"),
    MatterType("collective_projects", "集体经济项目的立项和承包方案", "Collective economic projects", "meetings"),
    MatterType("homestead", "宅基地的使用方案", "Homestead plan", "meetings"),
    MatterType("land_compensation", "征地补偿费的使用和分配方案", "Land-requisition compensation", "meetings"),
    MatterType("property_disposal", "以借贷、租赁等方式处分村集体财产", "Disposal of collective property", "meetings"),
    MatterType("other", "其他重大事项", "Other major matter", "meetings", reserved_to_assembly=False),
)


def matter_types(site: Site) -> dict[str, MatterType]:
    """Every matter type the site's enabled areas and plugins bring, by code."""
    return {t.code: t for t in site.call("matter_types") if isinstance(t, MatterType)}


def matter_type_of(site: Site, code: str) -> MatterType:
    found = matter_types(site).get(code)
    if found is None:
        raise MeetingError(_("未知的议题类别：%(code)s", code=code))
    return found


def type_title(site: Site, code: str) -> str:
    """The type's title in the current locale (its code when the plugin that brought it is switched off)."""
    found = matter_types(site).get(code)
    if found is None:
        return code
    return found.title_en if i18n.current_locale.get() == "en" else found.title_zh
