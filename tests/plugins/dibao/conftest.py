"""低保 test helpers: register households (through the test kit's register builder), an enrolled case in one call,
and the actors of each role."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from cunwu.accounts.actor import Actor, Grant
from cunwu.testing import Member, RegisterBuilder
from cunwu_plugins.dibao import services

VILLAGE = "130926100201"
OTHER_VILLAGE = "130926100202"
TOWNSHIP = VILLAGE[:9]
_sequence = itertools.count(1)

CLERK = Actor(user_id=None, username="clerk", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))
TOWNSHIP_OFFICIAL = Actor(user_id=None, username="town", display_name="乡镇干部",
                          grants=(Grant("township_official", "township", TOWNSHIP),))
COUNTY = Actor(user_id=None, username="county", display_name="民政局", grants=(Grant("county_official", "site"),))


def person(session: Any, site: Any, name: str, born: dt.date, village: str = VILLAGE, **extra: Any) -> Any:
    return RegisterBuilder(session, site, village=village, actor=CLERK).person(Member(name, born=born, **extra))


def household(session: Any, site: Any, births: list[dt.date], village: str = VILLAGE,
              disability: dict[int, int] | None = None) -> tuple[Any, list[Any]]:
    """A household whose members were born on `births` (the first is the head), in the register since 2020."""
    disability = disability or {}
    members = [Member(f"成员{next(_sequence)}", born=born,
                      **({"disability_grade": str(disability[index])} if index in disability else {}))
               for index, born in enumerate(births)]
    built = RegisterBuilder(session, site, village=village, actor=CLERK).household(
        f"H{next(_sequence):05d}", members, created_on=dt.date(2020, 1, 1))
    return built.household, built.members


def standard(site: Any, amount: str, effective: dt.date, kind: str = "rural") -> None:
    with site.db.transaction() as session:
        services.set_standard(session, site, COUNTY, kind=kind, monthly_amount=Decimal(amount),
                              effective_from=effective)


def enrolled_case(site: Any, births: list[dt.date], income: str, *, confirmed_on: dt.date,
                  covered: list[int] | None = None, village: str = VILLAGE, account: str = "6222020200112233445",
                  bank: str = "RCC", disability: dict[int, int] | None = None, category: str = "stable") -> int:
    """A case taken through application, check, opinion, posting and confirmation (dates set for the test)."""
    with site.db.transaction() as session:
        home, members = household(session, site, births, village, disability)
        chosen = [members[i].id for i in (covered if covered is not None else range(len(members)))]
        case = services.apply(session, site, CLERK, village_code=village, household_id=home.id,
                              applicant_id=members[0].id, covered=chosen, bank_code=bank, account_number=account,
                              account_holder=members[0].name, review_category=category,
                              applied_on=confirmed_on - dt.timedelta(days=30))
        services.record_income(session, site, CLERK, case, person_id=members[0].id, kind="wages",
                               monthly_amount=Decimal(income))
        rules = services.settings_of(site).property_checks
        services.record_property(session, site, CLERK, case, dict.fromkeys(rules, True))
        services.record_visit(session, site, CLERK, case, visited_on=confirmed_on - dt.timedelta(days=25),
                              visitors="张三、李四", findings="住房简陋，无劳动能力")
        services.give_opinion(session, site, TOWNSHIP_OFFICIAL, case, approve=True, opinion="符合条件，同意")
        services.post_case(session, site, CLERK, case)
        from cunwu.audit import services as audit

        audit.update(session, CLERK, case, {"posting_ends_on": confirmed_on - dt.timedelta(days=1)}, "test.backdate")
        services.confirm(session, site, COUNTY, case, on=confirmed_on)
        return int(case.id)
