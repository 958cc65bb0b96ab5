"""The register's hot statements keep their plans on PostgreSQL (docs/performance.md, issue #18 round 7).

Plans, never times, read with `EXPLAIN (FORMAT JSON)` and sequential scans off, on tables never analysed (as on
a server whose autovacuum is off): the register search tests the name on each person before joining memberships
and households, and the village home counts current members from the partial index of current memberships by
village, not by reading the partial index of every current membership of the county.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from cunwu.accounts.actor import Actor, Grant
from cunwu.registry.queries import RegisterSearch, _register_statements, _village_home_statements
from tests.core.registry.conftest import OTHER_VILLAGE, VILLAGE, make_household, make_person

NEIGHBOURS = 300


def _plan(site: Any, statement: Any, params: dict[str, Any]) -> dict[str, Any]:
    with site.db.read() as session:
        connection = session.connection()
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        compiled = statement.compile(dialect=connection.dialect)
        found = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.construct_params(params))
        return found.scalar()[0]["Plan"]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _filled(pg: str, site_factory: Any, clerk: Actor) -> Any:
    """Three households in the village, and a neighbour with many more (never analysed, as on a server whose
    autovacuum is off: the planner knows only the tables' and indexes' sizes)."""
    site = site_factory(dialect=pg)
    neighbour = Actor(user_id=None, username="clerk-other", display_name="文书",
                      grants=(Grant("clerk", "village", OTHER_VILLAGE),))
    with site.db.transaction() as session:
        for number, name in enumerate(["王建国", "李秀英", "张伟"], start=1):
            make_household(session, site, clerk, f"{number:04d}", make_person(session, site, clerk, name))
        for number in range(1, NEIGHBOURS + 1):
            head = make_person(session, site, neighbour, "赵小明", village=OTHER_VILLAGE)
            make_household(session, site, neighbour, f"{number:04d}", head, village=OTHER_VILLAGE)
    return site


def test_the_search_drops_persons_by_name_before_the_joins(pg: str, site_factory: Any, clerk: Actor) -> None:
    site = _filled(pg, site_factory, clerk)
    search = RegisterSearch(q="王")
    _count, page = _register_statements(*search.shape(), True)
    plan = _plan(site, page, {**search.params(VILLAGE, dt.date(2026, 12, 8)), "limit": 50, "offset": 0})
    persons = [node for node in _nodes(plan) if node.get("Relation Name") == "registry_person"]
    assert persons and all("~~" in node.get("Filter", "") for node in persons), persons


def test_the_village_home_counts_members_from_the_village_index(pg: str, site_factory: Any, clerk: Actor) -> None:
    site = _filled(pg, site_factory, clerk)
    plan = _plan(site, _village_home_statements()[0], {"village": VILLAGE})
    memberships = [node for node in _nodes(plan) if node.get("Relation Name") == "registry_membership"
                   or "registry_membership" in node.get("Index Name", "")]
    assert [node.get("Index Name") for node in memberships] == ["ix_registry_membership_village_current"], memberships
