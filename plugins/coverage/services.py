"""Coverage of the four organisations per village (docs/coverage.md): derived from the register, the meetings
module and (through the `coverage_economic_organisations` hook) the co-op plugin; the rest recorded here.

Reads take a session and a list of villages and batch what they can. Writes take (session, site, actor, ...), go
through `cunwu.api.audit` in the caller's transaction, and raise `CoverageError` before writing anything.
"""

from __future__ import annotations

import datetime as dt
import functools
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cunwu.api import (
    Actor,
    DomainError,
    NotFound,
    Problem,
    Site,
    _,
    audit,
    lazy_gettext,
    local_today,
    meetings_held,
    registry,
    utcnow,
)

from . import rules
from .models import (
    ALL_KINDS,
    RECORDED_KINDS,
    SINGLE_KINDS,
    GroupMembership,
    HouseholdGroup,
    Organisation,
    OrganisationMeeting,
    Snapshot,
    TownshipMonth,
)
from .rules import Criteria, GroupFacts
from .settings import CoverageSettings

KIND_TITLES = {
    "party": lazy_gettext("村党组织"), "villagers_committee": lazy_gettext("村民委员会"),
    "representative_meeting": lazy_gettext("村民代表会议"), "supervision_committee": lazy_gettext("村务监督委员会"),
    "economic": lazy_gettext("经济合作组织"), "station": lazy_gettext("综治工作站"),
    "work_subarea": lazy_gettext("工作片区"), "patrol_team": lazy_gettext("巡防队"),
}
TYPE_TITLES = {"party": lazy_gettext("党组织"), "self_governance": lazy_gettext("自治组织"),
               "economic": lazy_gettext("经济合作组织"), "order": lazy_gettext("维护稳定组织（3+1）"),
               "all": lazy_gettext("四个组织全覆盖")}
SOURCES = {"register": lazy_gettext("村民登记簿（任职、党员、村民代表）"),
           "meetings": lazy_gettext("会议模块（已结束的会议）"),
           "recorded": lazy_gettext("本页登记"), "groups": lazy_gettext("十户联防分组")}
SHORTFALLS = {"absent": lazy_gettext("未建立"), "members": lazy_gettext("成员不足"),
              "meetings": lazy_gettext("近 12 个月会议次数不足"), "no_leader": lazy_gettext("有小组未确定组长"),
              "no_groups": lazy_gettext("未编十户联防小组"), "unassigned": lazy_gettext("有农户未编入小组"),
              "subarea_leader": lazy_gettext("有片区未确定负责人"), "none_covers": lazy_gettext("无一达标")}
#: Where the meetings of the kinds the register knows are held in the meetings module (docs/coverage.md).
MEETING_KINDS = {"party": ("party_branch", "party_members"), "villagers_committee": ("two_committees",),
                 "representative_meeting": ("representatives",), "supervision_committee": ("supervision",)}
DERIVED_KINDS = tuple(MEETING_KINDS)
#: The office of the register whose holders make each derived kind, and the post of its leader.
_BODIES = {"party": ("party_branch", "secretary"), "villagers_committee": ("villagers_committee", "chair"),
           "supervision_committee": ("supervision_committee", "chair")}


class CoverageError(DomainError):
    """A coverage rule refused the change; the message says what, `problems` where (field or row)."""


def _refuse(message: str, field: str | None = None) -> CoverageError:
    return CoverageError(message, [Problem(message, field=field)] if field else [])


def settings_of(site: Site) -> CoverageSettings:
    return site.settings("coverage")  # type: ignore[no-any-return]


def criteria_of(site: Site) -> Criteria:
    settings = settings_of(site)
    return Criteria(settings.min_members, settings.min_meetings)


# --- reading coverage ------------------------------------------------------------------------------------------------

@dataclass
class OrgView:
    """One organisation as shown: each fact with where it comes from (`sources`: fact → SOURCES key or a plugin's
    own name), and what keeps it from covering."""

    kind: str
    name: str
    present: bool
    founded_on: dt.date | None
    members: int | None
    meetings: int | None
    leader: str
    sources: dict[str, str]
    shortfalls: list[str]
    id: int | None = None
    url: str = ""

    @property
    def covers(self) -> bool:
        return not self.shortfalls

    @property
    def title(self) -> str:
        return str(KIND_TITLES[self.kind])


@dataclass
class GroupView:
    group: HouseholdGroup
    households: list[Any]  # registry HouseholdMembers, by 户号
    leader: str
    flag: str  # rules.size_flag


@dataclass
class VillageCoverage:
    code: str
    name: str
    township: str
    orgs: dict[str, OrgView]  # the single kinds
    economic: list[OrgView]
    subareas: list[OrgView]
    groups: GroupFacts
    types: dict[str, bool]
    adults: int
    enrolled: int

    @property
    def all_four(self) -> bool:
        return all(self.types.values())

    def reasons(self, kind: str) -> list[list[Any]]:
        """Why the village does not cover type `kind`, as codes a snapshot keeps: `[organisation kind, [shortfall
        codes]]` per organisation that falls short ("groups" for the household groups); empty when it covers."""
        if self.types[kind]:
            return []
        if kind == "economic":
            return [["economic", ["none_covers" if self.economic else "absent"]]]
        if kind == "party":
            views = [self.orgs["party"]]
        elif kind == "self_governance":
            views = [self.orgs[k] for k in rules.SELF_GOVERNANCE]
        else:
            views = [self.orgs["station"], self.orgs["patrol_team"]]
        found: list[list[Any]] = [[v.kind, list(v.shortfalls)] for v in views if not v.covers]
        if kind == "order":
            if not self.subareas:
                found.append(["work_subarea", ["absent"]])
            elif not all(v.covers for v in self.subareas):
                found.append(["work_subarea", ["subarea_leader"]])
            if shortfalls := self.groups.shortfalls():
                found.append(["groups", list(shortfalls)])
        return found


def describe(reasons: Iterable[Sequence[Any]]) -> list[str]:
    """Reasons as kept in a snapshot (`VillageCoverage.reasons`), in the reader's language: "村党组织：成员不足、近 12
    个月会议次数不足"; unknown codes (from a newer version) are shown as they are rather than dropped."""
    said = []
    for kind, codes in reasons:
        whys = [str(SHORTFALLS.get(code, code)) for code in codes]
        if kind == "groups" or (kind == "work_subarea" and codes == ["subarea_leader"]):
            said.extend(whys)
        else:
            said.append(_("%(kind)s：%(why)s", kind=KIND_TITLES.get(kind, kind), why=_("、").join(whys)))
    return said


def _recorded(session: Session, codes: list[str], on: dt.date) -> dict[str, list[Organisation]]:
    """The organisations recorded for `codes` that existed on `on` (founded by then, not yet dissolved)."""
    found: dict[str, list[Organisation]] = defaultdict(list)
    for org in session.exec(select(Organisation).where(
            col(Organisation.village_code).in_(codes),
            or_(col(Organisation.founded_on).is_(None), col(Organisation.founded_on) <= on),
            or_(col(Organisation.dissolved_on).is_(None), col(Organisation.dissolved_on) > on))
            .order_by(col(Organisation.id))).all():
        found[org.village_code].append(org)
    return found


def _recorded_meetings(session: Session, org_ids: list[int], since: dt.date, on: dt.date) -> Counter[int]:
    if not org_ids:
        return Counter()
    rows = session.exec(select(OrganisationMeeting.organisation_id, func.count()).where(
        col(OrganisationMeeting.organisation_id).in_(org_ids), OrganisationMeeting.held_on >= since,
        OrganisationMeeting.held_on <= on).group_by(col(OrganisationMeeting.organisation_id))).all()
    return Counter({org_id: int(n) for org_id, n in rows})


def group_facts(session: Session, site: Site, codes: list[str], on: dt.date,
                ) -> tuple[dict[str, GroupFacts], dict[str, set[int]]]:
    """Household-group facts per village, and the leaders' person ids (they count as enrolled)."""
    settings = settings_of(site)
    groups = session.exec(select(HouseholdGroup).where(col(HouseholdGroup.village_code).in_(codes))).all()
    sizes = dict(session.exec(select(GroupMembership.group_id, func.count()).where(
        col(GroupMembership.village_code).in_(codes)).group_by(col(GroupMembership.group_id))).all())
    assigned_ids = set(session.exec(select(GroupMembership.household_id).where(
        col(GroupMembership.village_code).in_(codes))).all())
    facts, leaders = {}, defaultdict(set)
    by_village: dict[str, list[HouseholdGroup]] = defaultdict(list)
    for group in groups:
        by_village[group.village_code].append(group)
        if group.leader_person_id is not None:
            leaders[group.village_code].add(group.leader_person_id)
    for code in codes:
        homes = registry.household_numbers(session, code, on).values()  # ids only, not every member as objects
        mine = by_village.get(code, [])
        facts[code] = GroupFacts(
            households=len(homes), assigned=sum(1 for h in homes if h in assigned_ids), groups=len(mine),
            without_leader=sum(1 for g in mine if g.leader_person_id is None),
            wrong_size=sum(1 for g in mine if rules.size_flag(sizes.get(g.id, 0), settings.group_min_households,
                                                               settings.group_max_households)))
    return facts, leaders


def coverage(session: Session, site: Site, village_codes: Sequence[str], on: dt.date | None = None,
             ) -> list[VillageCoverage]:
    """The coverage of each village on `on` (default today), in the order given."""
    on = on or local_today()
    since = rules.twelve_months_before(on)
    codes = list(village_codes)
    criteria = criteria_of(site)
    held = meetings_held(session, codes, [k for kinds in MEETING_KINDS.values() for k in kinds], since, on)
    recorded = _recorded(session, codes, on)
    counts = _recorded_meetings(session, [o.id for orgs in recorded.values() for o in orgs if o.id], since, on)
    economic_from_plugins: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for answer in site.call("coverage_economic_organisations", session=session, site=site, village_codes=codes,
                            since=since, on=on):
        economic_from_plugins[answer["village_code"]].append(answer)
    groups, group_leaders = group_facts(session, site, codes, on)
    result = []
    for code in codes:
        village = site.village(code)
        own = recorded.get(code, [])
        single = {o.kind: o for o in own if o.kind in SINGLE_KINDS}
        enrolled: set[int] = set(group_leaders.get(code, set()))
        orgs: dict[str, OrgView] = {}
        holders = {body: registry.office_holders(session, code, body, on) for body, _post in _BODIES.values()}
        chair = next((h.person.name for h in holders["villagers_committee"] if h.office.post == "chair"), "")
        for kind, (body, post) in _BODIES.items():
            people = holders[body]
            enrolled.update(int(h.person.id) for h in people)  # type: ignore[arg-type]
            members = len(people)
            if kind == "party":
                party = registry.party_members(session, code, on)
                enrolled.update(int(p.id) for p in party)  # type: ignore[arg-type]
                members = len(party)
            meetings = sum(len(held.get((code, k), [])) for k in MEETING_KINDS[kind])
            record = single.get(kind)
            orgs[kind] = OrgView(
                kind, str(KIND_TITLES[kind]), bool(people), record.founded_on if record else None, members, meetings,
                next((h.person.name for h in people if h.office.post == post), ""),
                {"present": "register", "members": "register", "leader": "register", "meetings": "meetings",
                 "founded_on": "recorded"},
                rules.shortfalls(bool(people), members, meetings, criteria), record.id if record else None)
        reps = registry.representatives(session, code, on)
        enrolled.update(int(r.person.id) for r in reps)  # type: ignore[arg-type]
        record = single.get("representative_meeting")
        meetings = len(held.get((code, "representatives"), []))
        orgs["representative_meeting"] = OrgView(
            "representative_meeting", str(KIND_TITLES["representative_meeting"]), bool(reps),
            record.founded_on if record else None, len(reps), meetings, chair,
            {"present": "register", "members": "register", "leader": "register", "meetings": "meetings",
             "founded_on": "recorded"},
            rules.shortfalls(bool(reps), len(reps), meetings, criteria), record.id if record else None)
        for kind in ("station", "patrol_team"):
            record = single.get(kind)
            orgs[kind] = _recorded_view(kind, record, counts, criteria)
        economic = []
        for answer in economic_from_plugins.get(code, []):
            enrolled.update(answer.get("person_ids", []))
            economic.append(OrgView(
                "economic", answer["name"], True, answer.get("founded_on"), answer["members"], answer["meetings"],
                answer.get("leader", ""), dict.fromkeys(("present", "members", "leader", "meetings", "founded_on"),
                                                        answer["source"]),
                rules.shortfalls(True, answer["members"], answer["meetings"], criteria), url=answer.get("url", "")))
        economic += [_recorded_view("economic", o, counts, criteria) for o in own if o.kind == "economic"]
        subareas = [_recorded_view("work_subarea", o, counts, criteria) for o in own if o.kind == "work_subarea"]
        for view in subareas:  # a sub-area has no meetings or members of its own: it needs a leader
            view.shortfalls = [] if view.leader else ["subarea_leader"]
        types = rules.type_covered({k: v.covers for k, v in orgs.items()}, (v.covers for v in economic),
                                   (v.covers for v in subareas), groups[code])
        adults = {int(p.id) for p in registry.adults(session, code, on)}  # type: ignore[arg-type]
        result.append(VillageCoverage(code, village.name, village.township, orgs, economic, subareas, groups[code],
                                      types, len(adults), len(adults & enrolled)))
    return result


def _recorded_view(kind: str, record: Organisation | None, counts: Counter[int], criteria: Criteria) -> OrgView:
    if record is None:
        return OrgView(kind, str(KIND_TITLES[kind]), False, None, None, None, "",
                       dict.fromkeys(("present", "members", "leader", "meetings", "founded_on"), "recorded"),
                       ["absent"])
    meetings = counts.get(record.id or 0, 0)
    return OrgView(kind, record.name or str(KIND_TITLES[kind]), True, record.founded_on, record.members, meetings,
                   record.leader, dict.fromkeys(("present", "members", "leader", "meetings", "founded_on"), "recorded"),
                   rules.shortfalls(True, record.members, meetings, criteria), record.id)


@dataclass
class VillageRates:
    """A village's line of the county dashboard, as its month's snapshot stores it."""

    code: str
    name: str
    township: str
    types: dict[str, bool]
    adults: int
    enrolled: int
    #: None: a row stored before reasons were kept, or an `overview` that did not read them
    reasons: dict[str, list[list[Any]]] | None = None
    #: type → why the village does not cover it, in the reader's language (None: not known from the row); filled
    #: by `overview` for the types the village misses
    whys: dict[str, str | None] = field(default_factory=dict)

    @property
    def all_four(self) -> bool:
        return all(self.types.values())


@dataclass
class Overview:
    """Coverage of a set of villages: each village, the rate per township and the county's, and since when the
    figures hold (`as_of`: the oldest snapshot row shown; `unsnapshotted`: the villages with no row for the month
    yet, measured for this page only)."""

    villages: list[VillageRates]
    townships: dict[str, rules.Rate]
    county: rules.Rate
    as_of: dt.datetime | None = None
    missing: dict[str, list[VillageRates]] = field(default_factory=dict)
    unsnapshotted: int = 0


#: the snapshot's columns the dashboard reads, fetched as plain tuples (no ORM objects for 300 rows a request)
_OVERVIEW_COLUMNS = (Snapshot.village_code, Snapshot.party, Snapshot.self_governance, Snapshot.economic,
                     Snapshot.order_stability, Snapshot.adults, Snapshot.enrolled, Snapshot.taken_at, Snapshot.reasons)


def overview(session: Session, site: Site, village_codes: Sequence[str], on: dt.date | None = None, *,
             reasons: bool = True) -> Overview:
    """The county dashboard's figures, read from the snapshot of the month of `on` (default today): the page then
    costs a handful of queries whatever the number of villages. It never writes: villages without a row for that
    month yet (`cunwu coverage snapshot` not run this month) are measured in memory for this answer only and
    counted in `unsnapshotted`, so the page can say so.

    With `reasons`, each missing type's reasons are put in words here, once per distinct set of reasons (most
    villages share a few). Without, the stored reasons are not even read: the dashboard shows how many villages
    miss each type, and their lists are pages of their own."""
    on = on or local_today()
    month = rules.month_of(on)
    codes = list(village_codes)
    columns = _OVERVIEW_COLUMNS if reasons else _OVERVIEW_COLUMNS[:-1]
    rows = {row[0]: row for row in session.exec(select(*columns).where(  # type: ignore[call-overload]
        Snapshot.month == month, col(Snapshot.village_code).in_(codes))).all()}
    unstored = [c for c in codes if c not in rows]
    measured = {v.code: v for v in coverage(session, site, unstored, on)} if unstored else {}
    found = []
    missing: dict[str, list[VillageRates]] = {kind: [] for kind in rules.TYPES}
    said: dict[Any, str] = {}
    separator = _("；")
    for code in codes:
        village = site.village(code)
        if (row := rows.get(code)) is not None:
            party, self_governance, economic, order, adults, enrolled = row[1:7]
            line = VillageRates(code, village.name, village.township,
                                {"party": party, "self_governance": self_governance, "economic": economic,
                                 "order": order}, adults, enrolled, row[8] if reasons else None)
        else:
            live = measured[code]
            line = VillageRates(code, village.name, village.township, dict(live.types), live.adults, live.enrolled,
                                _reasons_of(live) if reasons else None)
        for kind in rules.TYPES:
            if not line.types[kind]:
                missing[kind].append(line)
                if reasons:
                    line.whys[kind] = None if line.reasons is None else _said(said, separator,
                                                                               line.reasons.get(kind, []))
        found.append(line)
    townships, county = rules.rates((v.township, v.types) for v in found)
    as_of = min((row[7] for row in rows.values()), default=None)
    return Overview(found, townships, county, as_of, missing, len(measured))


def _said(said: dict[Any, str], separator: str, reasons: list[list[Any]]) -> str:
    """`describe(reasons)` joined with `separator`, remembered in `said` for the next village with the same ones."""
    key = tuple((kind, tuple(codes)) for kind, codes in reasons)
    if (text := said.get(key)) is None:
        text = said[key] = separator.join(describe(reasons))
    return text


def _reasons_of(village: VillageCoverage) -> dict[str, list[list[Any]]]:
    return {kind: why for kind in rules.TYPES if (why := village.reasons(kind))}


#: the snapshot's flag columns by type, and a village covering all four, as the database counts them
_FLAGS = {"party": Snapshot.party, "self_governance": Snapshot.self_governance, "economic": Snapshot.economic,
          "order": Snapshot.order_stability}
_EVERY = and_(*(col(flag) for flag in _FLAGS.values()))
_COUNTS = (func.count(), *(func.sum(case((col(flag), 1), else_=0)) for flag in _FLAGS.values()),
           func.sum(case((_EVERY, 1), else_=0)))


def _rate(villages: Any, counts: Sequence[Any]) -> rules.Rate:
    return rules.Rate(int(villages), {k: int(n or 0) for k, n in zip((*rules.TYPES, "all"), counts, strict=True)})


def _add(total: rules.Rate, part: rules.Rate) -> None:
    total.villages += part.villages
    for kind, count in part.covered.items():
        total.covered[kind] += count


def trend(session: Session, village_codes: Sequence[str]) -> list[tuple[dt.date, rules.Rate]]:
    """The rates of the given villages per snapshot month, oldest first: counted by the database (one row a month,
    whatever the number of villages)."""
    rows = session.exec(select(Snapshot.month, *_COUNTS)  # type: ignore[call-overload]
                        .where(col(Snapshot.village_code).in_(list(village_codes)))
                        .group_by(col(Snapshot.month)).order_by(col(Snapshot.month))).all()
    return [(month, _rate(villages, counts)) for month, villages, *counts in rows]


def dashboard(session: Session, site: Site, village_codes: Sequence[str], on: dt.date | None = None,
              ) -> tuple[Overview, list[tuple[dt.date, rules.Rate]]]:
    """The dashboard's figures without its lists — this month's rates by township and for the county, how many
    villages miss each type (the county rate says it), and the trend — summed from `dashboard_rows`.

    The same answer as `overview(..., reasons=False)` and `trend`, which it falls back to when the month's snapshot
    lacks villages (they are measured live) or when the site file names one township code two ways."""
    on = on or local_today()
    codes = list(village_codes)
    rows = dashboard_rows(session, site, codes, on)
    if rows is None:
        return overview(session, site, codes, on, reasons=False), trend(session, codes)
    return summed(site, codes, rules.month_of(on), rows)


#: one row of `dashboard_rows`: month, township code, earliest `taken_at` of the month, villages, then the counts
#: of `_COUNTS` (each type, all four)
DashboardRow = tuple[Any, ...]


def dashboard_rows(session: Session, site: Site, village_codes: Sequence[str], on: dt.date,
                   ) -> tuple[DashboardRow, ...] | None:
    """Everything the dashboard's figures are summed from, as plain tuples (so they can key its kept part): per
    month and township the villages and how many cover each type — the counts `take_snapshot` keeps (~90 rows for
    15 townships × 6 months) when the reader sees whole townships, else one query the database groups by month
    and township (a village code's first 9 digits).

    None when they cannot answer alone: the month's snapshot lacks villages (`overview` measures them live), or the
    site file names one township code two ways."""
    codes = list(village_codes)
    townships = _townships(site, codes)
    if townships.names is None:
        return None
    month = rules.month_of(on)
    rows = _counted(session, townships, month) if townships.whole else None
    if rows is None:
        township = func.substr(Snapshot.village_code, 1, 9)
        rows = session.exec(select(Snapshot.month, township, func.min(Snapshot.taken_at), *_COUNTS)  # type: ignore[call-overload]
                            .where(col(Snapshot.village_code).in_(codes))
                            .group_by(col(Snapshot.month), township).order_by(col(Snapshot.month))).all()
    found = tuple(tuple(row) for row in rows)
    if sum(row[3] for row in found if row[0] == month) < len(codes):
        return None
    return found


@dataclass(frozen=True)
class _Townships:
    """The townships of a set of villages, as the site file has them (worked out once per reader's villages)."""

    #: township code (a village code's first 9 digits) → its name, in the order of the villages; None when the site
    #: file gives one code two names (the figures are then summed by name from each village's row)
    names: dict[str, str] | None
    #: township code → how many of the villages are in it
    counts: Counter[str]
    #: whether the villages are every village of each of their townships (a county or township official)
    whole: bool


def _townships(site: Site, codes: Sequence[str]) -> _Townships:
    return _townships_of(weakref.ref(site), tuple(codes))


@functools.lru_cache(maxsize=256)
def _townships_of(site_ref: weakref.ref[Site], codes: tuple[str, ...]) -> _Townships:
    site = site_ref()
    assert site is not None  # the caller holds it
    names: dict[str, str] | None = {}
    for code in codes:
        name = site.village(code).township  # type: ignore[union-attr]
        if names.setdefault(code[:9], name) != name:  # type: ignore[union-attr]
            names = None
            break
    counts = Counter(code[:9] for code in codes)
    whole = Counter(code[:9] for code in site.villages)
    return _Townships(names, counts, all(whole[township] == n for township, n in counts.items()))


def _counted(session: Session, townships: _Townships, month: dt.date) -> Sequence[Any] | None:
    """`dashboard_rows` from `TownshipMonth` for a reader who sees whole townships, or None when the month's counts
    do not have each of their villages (rows written another way)."""
    rows = session.connection().execute(_TOWNSHIP_ROWS, {"townships": list(townships.counts)}).all()
    if Counter({township: villages for row_month, township, _t, villages, *_c in rows
                if row_month == month}) != townships.counts:
        return None
    return rows


def summed(site: Site, codes: Sequence[str], month: dt.date, rows: Sequence[DashboardRow],
           ) -> tuple[Overview, list[tuple[dt.date, rules.Rate]]]:
    """`dashboard_rows` summed into the trend, this month's townships and the county."""
    names = _townships(site, codes).names or {}
    months: dict[dt.date, rules.Rate] = {}
    townships = {name: rules.Rate() for name in names.values()}  # in the order of the villages
    as_of: dt.datetime | None = None
    for row_month, code, taken_at, villages, *counts in rows:
        part = _rate(villages, counts)
        _add(months.setdefault(row_month, rules.Rate()), part)
        if row_month == month:
            _add(townships[names[code]], part)
            as_of = taken_at if as_of is None else min(as_of, taken_at)
    county = rules.Rate()
    for rate in townships.values():
        _add(county, rate)
    return Overview([], townships, county, as_of), list(months.items())


#: `TownshipMonth`'s counts in the order of `_COUNTS`
_TOWNSHIP_COUNTS = (TownshipMonth.villages, TownshipMonth.party, TownshipMonth.self_governance,
                    TownshipMonth.economic, TownshipMonth.order_stability, TownshipMonth.all_four)


#: the rows `_counted` reads, built once (each request then runs it through the core: no ORM loading)
_TOWNSHIP_ROWS = (select(TownshipMonth.month, TownshipMonth.township, TownshipMonth.taken_at,  # type: ignore[call-overload]
                         *_TOWNSHIP_COUNTS)
                  .where(col(TownshipMonth.township).in_(bindparam("townships", expanding=True)))
                  .order_by(col(TownshipMonth.month)))


def count_townships(session: Session, month: dt.date, townships: set[str]) -> None:
    """Recount the month's snapshot rows of `townships` into `TownshipMonth`, after `take_snapshot` wrote them.
    The counts are locked first, so a concurrent snapshot of the same township waits and then counts both."""
    kept = {row.township: row for row in session.exec(select(TownshipMonth).where(
        TownshipMonth.month == month, col(TownshipMonth.township).in_(sorted(townships))).with_for_update()).all()}
    township = func.substr(Snapshot.village_code, 1, 9)
    for code, taken_at, villages, *counts in session.exec(  # type: ignore[call-overload]
            select(township, func.min(Snapshot.taken_at), *_COUNTS).where(
                Snapshot.month == month, township.in_(sorted(townships))).group_by(township)).all():
        values = dict(zip(("villages", "party", "self_governance", "economic", "order_stability", "all_four"),
                          (int(n or 0) for n in (villages, *counts)), strict=True))
        row = kept.get(code) or TownshipMonth(month=month, township=code, taken_at=taken_at, **values)
        for key, value in {**values, "taken_at": taken_at}.items():
            setattr(row, key, value)
        session.add(row)


# --- recording -------------------------------------------------------------------------------------------------------

def _village(site: Site, village_code: str) -> None:
    if site.village(village_code) is None:
        raise NotFound(_("没有这个村：%(code)s", code=village_code))


def get_organisation(session: Session, village_code: str, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None or org.village_code != village_code:
        raise NotFound(_("没有这个组织"))
    return org


def save_organisation(session: Session, site: Site, actor: Actor, village_code: str, kind: str, *,
                      org_id: int | None = None, name: str = "", founded_on: dt.date | None = None,
                      members: int | None = None, leader: str = "", meetings_declared: int | None = None,
                      ) -> Organisation:
    """Record (or correct) an organisation. For the kinds the register knows only the founding date is kept, and
    a meeting count typed from the paper ledger must agree with the meetings module."""
    _village(site, village_code)
    if kind not in ALL_KINDS:
        raise _refuse(_("组织类别无效"), "kind")
    today = local_today()
    if founded_on is not None and founded_on > today:
        raise _refuse(_("成立日期 %(day)s 不能晚于今天", day=founded_on), "founded_on")
    if members is not None and members < 0:
        raise _refuse(_("成员人数不能为负数"), "members")
    if kind in DERIVED_KINDS:
        if meetings_declared is not None:
            since = rules.twelve_months_before(today)
            held = meetings_held(session, [village_code], MEETING_KINDS[kind], since, today)
            count = sum(len(days) for days in held.values())
            if meetings_declared != count:
                raise _refuse(_("填写的近 12 个月会议 %(typed)s 次与会议模块记录的 %(count)s 次不符："
                                "会议次数以会议模块为准，请在会议模块补登会议", typed=meetings_declared, count=count),
                              "meetings_declared")
        name, members, leader = "", None, ""
    elif not name.strip():
        raise _refuse(_("请填写组织名称"), "name")
    values = {"name": name.strip(), "founded_on": founded_on, "members": members, "leader": leader.strip()}
    existing = None
    if org_id is not None:
        existing = get_organisation(session, village_code, org_id)
        if existing.kind != kind or existing.dissolved_on is not None:
            raise _refuse(_("这个组织已撤销或类别不同，不能修改"))
    elif kind in SINGLE_KINDS:
        existing = session.exec(select(Organisation).where(
            Organisation.village_code == village_code, Organisation.kind == kind,
            col(Organisation.dissolved_on).is_(None))).first()
    if existing is not None:
        earliest = session.exec(select(func.min(OrganisationMeeting.held_on)).where(
            OrganisationMeeting.organisation_id == existing.id)).one()
        if founded_on and earliest and earliest < founded_on:
            raise _refuse(_("成立日期 %(day)s 晚于已登记的 %(first)s 的会议", day=founded_on, first=earliest),
                          "founded_on")
        audit.update(session, actor, existing, values, "coverage.organisation.update")
        return existing
    org = Organisation(village_code=village_code, kind=kind, **values)
    audit.create(session, actor, org, "coverage.organisation.create")
    return org


def dissolve_organisation(session: Session, site: Site, actor: Actor, org: Organisation, on: dt.date,
                          reason: str) -> Organisation:
    if org.dissolved_on is not None:
        raise _refuse(_("这个组织已于 %(day)s 撤销", day=org.dissolved_on))
    if on > local_today():
        raise _refuse(_("撤销日期 %(day)s 不能晚于今天", day=on), "dissolved_on")
    if not reason.strip():
        raise _refuse(_("请填写撤销原因"), "dissolve_reason")
    audit.update(session, actor, org, {"dissolved_on": on, "dissolve_reason": reason.strip()},
                 "coverage.organisation.dissolve")
    return org


def record_meeting(session: Session, site: Site, actor: Actor, org: Organisation, held_on: dt.date,
                   title: str = "") -> OrganisationMeeting:
    """A meeting of an organisation recorded here (the register's bodies hold theirs in the meetings module)."""
    if org.kind not in RECORDED_KINDS:
        raise _refuse(_("%(kind)s的会议以会议模块为准，请在会议模块登记", kind=KIND_TITLES[org.kind]), "held_on")
    if org.dissolved_on is not None:
        raise _refuse(_("这个组织已于 %(day)s 撤销", day=org.dissolved_on), "held_on")
    if held_on > local_today():
        raise _refuse(_("会议日期 %(day)s 不能晚于今天", day=held_on), "held_on")
    if org.founded_on is not None and held_on < org.founded_on:
        raise _refuse(_("会议日期 %(day)s 早于成立日期 %(founded)s", day=held_on, founded=org.founded_on), "held_on")
    meeting = OrganisationMeeting(village_code=org.village_code, organisation_id=org.id, held_on=held_on,  # type: ignore[arg-type]
                                  title=title.strip()[:200])
    audit.create(session, actor, meeting, "coverage.meeting.create")
    return meeting


def meetings_of(session: Session, org_ids: Iterable[int]) -> dict[int, list[OrganisationMeeting]]:
    found: dict[int, list[OrganisationMeeting]] = defaultdict(list)
    for row in session.exec(select(OrganisationMeeting).where(col(OrganisationMeeting.organisation_id).in_(
            list(org_ids))).order_by(col(OrganisationMeeting.held_on).desc())).all():
        found[row.organisation_id].append(row)
    return found


# --- household groups (十户联防) ----------------------------------------------------------------------------

def groups_of(session: Session, village_code: str) -> list[HouseholdGroup]:
    return list(session.exec(select(HouseholdGroup).where(HouseholdGroup.village_code == village_code)
                             .order_by(col(HouseholdGroup.number))).all())


def memberships(session: Session, village_code: str) -> dict[int, GroupMembership]:
    """household id → its membership row."""
    return {m.household_id: m for m in session.exec(select(GroupMembership).where(
        GroupMembership.village_code == village_code)).all()}


def group_views(session: Session, site: Site, village_code: str, on: dt.date | None = None,
                ) -> tuple[list[GroupView], list[Any]]:
    """Each group with its households and size flag, and the households not yet in any group."""
    settings = settings_of(site)
    homes = registry.households(session, village_code, on)
    placed = memberships(session, village_code)
    by_group: dict[int, list[Any]] = defaultdict(list)
    unassigned = []
    for home in homes:
        row = placed.get(int(home.household.id))
        (by_group[row.group_id] if row else unassigned).append(home)
    views = []
    for group in groups_of(session, village_code):
        members = by_group.get(int(group.id), [])  # type: ignore[arg-type]
        leader = registry.person(session, group.leader_person_id) if group.leader_person_id else None
        views.append(GroupView(group, members, leader.name if leader else "",
                               rules.size_flag(len(members), settings.group_min_households,
                                               settings.group_max_households)))
    return views, unassigned


def _village_person(session: Session, village_code: str, person_id: int, field: str) -> None:
    home = registry.household_of(session, person_id)
    if home is None or home.village_code != village_code:
        raise _refuse(_("组长应是本村在册村民"), field)


def create_group(session: Session, site: Site, actor: Actor, village_code: str, number: int, name: str = "",
                 leader_person_id: int | None = None) -> HouseholdGroup:
    _village(site, village_code)
    if number < 1:
        raise _refuse(_("小组编号应是正整数"), "number")
    if session.exec(select(HouseholdGroup).where(HouseholdGroup.village_code == village_code,
                                                 HouseholdGroup.number == number)).first():
        raise _refuse(_("本村已有第 %(n)s 小组", n=number), "number")
    if leader_person_id is not None:
        _village_person(session, village_code, leader_person_id, "leader")
    group = HouseholdGroup(village_code=village_code, number=number, name=name.strip()[:50],
                           leader_person_id=leader_person_id)
    try:
        audit.create(session, actor, group, "coverage.group.create")
    except IntegrityError:  # the same number created at the same moment by someone else
        raise _refuse(_("本村已有第 %(n)s 小组", n=number), "number") from None
    return group


def get_group(session: Session, village_code: str, group_id: int) -> HouseholdGroup:
    group = session.get(HouseholdGroup, group_id)
    if group is None or group.village_code != village_code:
        raise _refuse(_("第 %(id)s 号小组不在本村", id=group_id))  # an id in the address, no field
    return group


def set_leader(session: Session, site: Site, actor: Actor, group: HouseholdGroup, person_id: int) -> HouseholdGroup:
    _village_person(session, group.village_code, person_id, "leader")
    audit.update(session, actor, group, {"leader_person_id": person_id}, "coverage.group.leader")
    return group


def assign(session: Session, site: Site, actor: Actor, village_code: str, placements: dict[int, int]) -> int:
    """Put households (id → group id) in groups, moving those already in another; returns how many changed.

    Refused as a whole when a household is not of this village or a group is another village's."""
    homes = {int(h.household.id) for h in registry.households(session, village_code)}
    groups = {int(g.id): g for g in groups_of(session, village_code)}  # type: ignore[arg-type]
    for household_id, group_id in placements.items():
        if household_id not in homes:
            raise _refuse(_("第 %(id)s 号农户不是本村的在册农户", id=household_id))  # not a choice the form offered
        if group_id not in groups:
            raise _refuse(_("第 %(id)s 号小组不在本村", id=group_id))
    placed = memberships(session, village_code)
    changes, new = [], []
    for household_id, group_id in sorted(placements.items()):
        row = placed.get(household_id)
        if row is None:
            new.append(GroupMembership(village_code=village_code, group_id=group_id, household_id=household_id))
        elif row.group_id != group_id:
            changes.append((row, {"group_id": group_id}))
    try:
        if new:
            audit.create_many(session, actor, new, "coverage.group.assign")  # type: ignore[arg-type]
        if changes:
            audit.update_many(session, actor, changes, "coverage.group.move")  # type: ignore[arg-type]
    except IntegrityError:  # someone placed one of these households at the same moment: the database refused
        raise _refuse(_("其中有农户刚被他人编入小组（一户只能在一个小组）：请刷新页面后再试")) from None
    return len(new) + len(changes)


# --- snapshots --------------------------------------------------------------------------------------------------------

def take_snapshot(session: Session, site: Site, on: dt.date | None = None,
                  village_codes: Sequence[str] | None = None) -> tuple[int, int]:
    """Store the coverage of every village (or of `village_codes`) for the month of `on` (default today); running
    it again in the same month rewrites that month's rows. Returns (rows added, rows rewritten)."""
    on = on or local_today()
    month = rules.month_of(on)
    codes = list(site.villages if village_codes is None else village_codes)
    found = coverage(session, site, codes, on)
    existing = {s.village_code: s for s in session.exec(select(Snapshot).where(
        Snapshot.month == month, col(Snapshot.village_code).in_(codes))).all()}
    added = rewritten = 0
    now = utcnow()
    for village in found:
        values = {"party": village.types["party"], "self_governance": village.types["self_governance"],
                  "economic": village.types["economic"], "order_stability": village.types["order"],
                  "adults": village.adults, "enrolled": village.enrolled, "taken_at": now,
                  "reasons": _reasons_of(village)}
        row = existing.get(village.code)
        if row is None:
            session.add(Snapshot(village_code=village.code, month=month, **values))
            added += 1
        else:
            for key, value in values.items():
                setattr(row, key, value)
            session.add(row)
            rewritten += 1
    session.flush()
    count_townships(session, month, {code[:9] for code in codes})
    session.flush()
    return added, rewritten


def refresh_village(session: Session, site: Site, village_code: str) -> None:
    """After a coverage write: this month's row of the village follows it, so the dashboard shows the change."""
    take_snapshot(session, site, None, [village_code])
