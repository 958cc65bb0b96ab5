"""Meeting and matter pages: the clerk's desk (schedule, sign-in with a live quorum, motions, votes, close,
publish, delegations), printable sign-in sheet, agenda and minutes, and the public matter timeline and minutes.

Thin: parse the form, call `cunwu.meetings.services` / `.matters`, render. A refused change re-renders the page with
the service's message (status 400); unknown or other-village records are 404.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import Body
from litestar.response import Redirect
from sqlmodel import Session, col, select

from cunwu.accounts.actor import Actor
from cunwu.clock import local_today
from cunwu.db.types import LOCAL_TZ
from cunwu.errors import DomainError, NotFound, Problem
from cunwu.i18n import _
from cunwu.meetings import matters, services
from cunwu.meetings.models import Matter, Meeting, Motion
from cunwu.meetings.rules import MeetingKind, QuorumMode
from cunwu.meetings.services import MeetingError
from cunwu.runtime import Site
from cunwu.web import forms
from cunwu.web.confirm import confirm_page
from cunwu.web.forms import Form
from cunwu.web.render import actor_of, base_context, is_htmx, render, site_of

VOTE_PREFIX = "vote_"




def _id(data: dict[str, str], name: str, label: str) -> int | None:
    """An optional record chosen in a select (a group, an agenda item, a matter)."""
    return forms.integer(data.get(name), name, label, required=False, minimum=1)  # type: ignore[no-any-return]


def _count(data: dict[str, str], name: str, label: str) -> int:
    """A head count or a vote count: a whole number, 0 when left empty."""
    return forms.integer(data.get(name), name, label, default=0, minimum=0)  # type: ignore[no-any-return]


def _day(data: dict[str, str], name: str, label: str) -> dt.date | None:
    return forms.date(data.get(name), name, label, required=False)  # type: ignore[no-any-return]


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _common() -> dict[str, Any]:
    return {"kinds": list(MeetingKind), "statuses": services.STATUS_TITLES, "choices": services.CHOICES,
            "methods": services.VOTE_METHODS, "conveners": services.CONVENERS, "role_titles": services.ROLE_TITLES,
            "step_titles": matters.STEP_TITLES, "matter_statuses": matters.MATTER_STATUSES, "shanghai": LOCAL_TZ,
            "QuorumMode": QuorumMode, "MeetingKind": MeetingKind, "public_kinds": services.PUBLIC_KINDS,
            "public_name_kinds": services.PUBLIC_NAME_KINDS}


# --- the meetings list and scheduling ----------------------------------------------------------------------


@get("/v/{village_code:str}/meetings/", opt={"permission": "meetings.view"}, sync_to_thread=True,
     name="meetings_list")
def meetings_list(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        rows = session.exec(select(Meeting).where(Meeting.village_code == village_code)
                            .order_by(col(Meeting.starts_at).desc())).all()
    return render(request, "meetings/list.html", {**_common(), "meetings": rows})


def _new_page(request: Request[Any, Any, Any], village_code: str, form: dict[str, str],
              errors: list[Problem] | None = None, status_code: int = 200) -> Response[str]:
    from cunwu.registry import queries

    site = site_of(request)
    with site.db.read() as session:
        groups = queries.groups(session, village_code)
    return render(request, "meetings/new.html", {**_common(), "form": form, "errors": errors or [], "groups": groups},
                  status_code=status_code)


@get("/v/{village_code:str}/meetings/new", opt={"permission": "meetings.manage"}, sync_to_thread=True)
def meeting_new(request: Request[Any, Any, Any], village_code: str, kind: str = "representatives") -> Response[str]:
    return _new_page(request, village_code, {"kind": kind, "notice_on": local_today().isoformat()})


def _starts_at(value: str | None) -> dt.datetime:
    text = (value or "").strip()
    try:
        naive = dt.datetime.fromisoformat(text)
    except ValueError:
        raise forms.error(_("会议时间“%(value)s”无效（例如 2026-03-01 09:00）", value=text) if text
                          else _("请填写会议时间"), "starts_at") from None
    return naive.replace(tzinfo=LOCAL_TZ) if naive.tzinfo is None else naive


@post("/v/{village_code:str}/meetings/", opt={"permission": "meetings.manage"}, sync_to_thread=True)
def meeting_create(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    def schedule(session: Session, site: Site, actor: Actor) -> Meeting:
        check = forms.Checks()  # every unreadable field at once, then the scheduling rules
        starts_at = check(_starts_at, data.get("starts_at"))
        group_id = check(_id, data, "group_id", _("村民小组"))
        notice_on = check(_day, data, "notice_on", _("通知日期"))
        check.done(MeetingError)
        assert starts_at is not None
        return services.schedule_meeting(
            session, site, actor, village_code=village_code, kind=data.get("kind", ""), starts_at=starts_at,
            title=data.get("title", ""), location=data.get("location", ""), group_id=group_id,
            quorum_mode=data.get("quorum_mode") or QuorumMode.persons, agenda=_lines(data.get("agenda")),
            notice_on=notice_on, convened_by=data.get("convened_by") or "committee",
            requesters=_lines(data.get("requesters")), chair=data.get("chair", ""), recorder=data.get("recorder", ""))

    return forms.run(
        request, schedule, then=lambda meeting: f"/v/{village_code}/meetings/{meeting.id}",
        refused=lambda exc: _new_page(request, village_code, data, forms.problems(exc),
                                      status_code=exc.status_code))


# --- one meeting -------------------------------------------------------------------------------------------


def _meeting_context(session: Session, site: Site, meeting: Meeting) -> dict[str, Any]:
    motions = services.motions_of(session, meeting)
    results = {m.id: services.motion_result(session, m) for m in motions}
    open_matters = session.exec(select(Matter).where(Matter.village_code == meeting.village_code,
                                                     Matter.status == "open").order_by(col(Matter.id))).all()
    return {
        **_common(), "meeting": meeting, "quorum": services.meeting_quorum(session, site, meeting),
        "agenda": services.agenda_of(session, meeting), "motions": motions, "results": results,
        "warnings": services.warning_texts(meeting), "rule": services.effective_rule(site, meeting),
        "rule_set_title": services.rule_set_title(site, meeting.rule_set),
        "open_matters": open_matters, "matter_types": matters.matter_types(site),
        "delegations": [d for d in services.delegations_of(session, meeting.village_code)
                        if d.meeting_id == meeting.id],
        "quorum_text": services.quorum_message(services.meeting_quorum(session, site, meeting)),
    }


def _detail(request: Request[Any, Any, Any], village_code: str, meeting_id: int, error: str | None = None,
            status_code: int = 200, form: dict[str, str] | None = None,
            errors: list[Problem] | None = None) -> Response[str]:
    """The meeting page; after a refused form, `form` is what was typed (shown again, with the reason beside it)
    and `errors` its problems (forms/_fields.html)."""
    site = site_of(request)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        context = _meeting_context(session, site, meeting)
    return render(request, "meetings/detail.html", {**context, "error": error, "form": form or {},
                                                    "errors": errors or []}, status_code=status_code)


@get("/v/{village_code:str}/meetings/{meeting_id:int}", opt={"permission": "meetings.view"}, sync_to_thread=True)
def meeting_detail(request: Request[Any, Any, Any], village_code: str, meeting_id: int) -> Response[str]:
    return _detail(request, village_code, meeting_id)


def _act(request: Request[Any, Any, Any], village_code: str, meeting_id: int, action: Any,
         then: Callable[[Any], str] = lambda _result: "", form: dict[str, str] | None = None) -> Response[Any]:
    """`action(session, site, actor, meeting)`, then the meeting page (plus `then(result)`); refused: the page with
    the service's message and what was typed."""
    return forms.run(
        request, lambda s, site, a: action(s, site, a, services.get_meeting(s, village_code, meeting_id)),
        then=lambda result: f"/v/{village_code}/meetings/{meeting_id}{then(result)}",
        refused=lambda exc: _detail(request, village_code, meeting_id, exc.message, status_code=exc.status_code,
                                    form=form, errors=forms.problems(exc)))


@post("/v/{village_code:str}/meetings/{meeting_id:int}/agenda", opt={"permission": "meetings.manage"},
      sync_to_thread=True)
def meeting_agenda_add(request: Request[Any, Any, Any], village_code: str, meeting_id: int,
                       data: Form) -> Response[Any]:
    return _act(request, village_code, meeting_id,
                lambda s, site, a, m: services.add_agenda_item(s, site, a, m, data.get("title", "")),
                form={**data, "_form": "agenda"})


@post("/v/{village_code:str}/meetings/{meeting_id:int}/open", opt={"permission": "meetings.manage"},
      sync_to_thread=True)
def meeting_open(request: Request[Any, Any, Any], village_code: str, meeting_id: int) -> Response[Any]:
    return _act(request, village_code, meeting_id, services.open_meeting, then=lambda _meeting: "/signin")


@post("/v/{village_code:str}/meetings/{meeting_id:int}/counts", opt={"permission": "meetings.manage"},
      sync_to_thread=True)
def meeting_counts(request: Request[Any, Any, Any], village_code: str, meeting_id: int, data: Form) -> Response[Any]:
    def counts(session: Session, site: Site, actor: Actor, meeting: Meeting) -> None:
        check = forms.Checks()  # both head counts at once, then the meeting's own limits
        persons = check(_count, data, "persons", _("到会人数"))
        households = check(forms.integer, data.get("households"), "households", _("到会户数"), required=False,
                           minimum=0)
        if not check.problems:
            check(services.record_counts, session, site, actor, meeting, persons=persons or 0, households=households)
        check.done(MeetingError)

    return _act(request, village_code, meeting_id, counts, form={**data, "_form": "counts"})


@post("/v/{village_code:str}/meetings/{meeting_id:int}/motions", opt={"permission": "meetings.manage"},
      sync_to_thread=True)
def motion_put(request: Request[Any, Any, Any], village_code: str, meeting_id: int, data: Form) -> Response[Any]:
    def put(session: Session, site: Site, actor: Actor, meeting: Meeting) -> Motion:
        check = forms.Checks()  # the choices that cannot be read and the service's refusal at once
        matter_id = check(_id, data, "matter_id", _("事项"))
        agenda_item_id = check(_id, data, "agenda_item_id", _("议程"))
        matter = matters.get_matter(session, village_code, matter_id) if matter_id else None
        motion = check(services.put_motion, session, site, actor, meeting, title=data.get("title", ""),
                       body=data.get("body", ""), agenda_item_id=agenda_item_id, matter=matter,
                       matter_type=data.get("matter_type") or None)
        check.done(MeetingError)
        assert motion is not None
        return motion

    return _act(request, village_code, meeting_id, put, then=lambda motion: f"/motions/{motion.id}",
                form={**data, "_form": "motion"})


@post("/v/{village_code:str}/meetings/{meeting_id:int}/close/confirm", opt={"permission": "meetings.manage"},
      sync_to_thread=True)
def meeting_close_confirm(request: Request[Any, Any, Any], village_code: str, meeting_id: int,
                          data: Form) -> Response[str]:
    """Closing makes the sign-in and the results final: the confirmation says so and carries the minutes typed
    (a POST that changes nothing, so a long record is not put in an address)."""
    site = site_of(request)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        quorum = services.meeting_quorum(session, site, meeting)
        motions = services.motions_of(session, meeting)
    pending = sum(1 for m in motions if m.status == "pending")
    consequences = [_("结束后签到和表决结果即为最终结果，不能再签到或表决；如发现差错，只能登记更正。"),
                    services.quorum_message(quorum)]
    if pending:
        consequences.append(_("还有 %(n)s 项议案没有表决，结束后不能再表决。", n=pending))
    return confirm_page(request, title=_("结束会议：%(title)s", title=meeting.title), consequences=consequences,
                        action=f"/v/{village_code}/meetings/{meeting_id}/close", button=_("确认结束会议"),
                        back=f"/v/{village_code}/meetings/{meeting_id}", fields={"minutes": data.get("minutes", "")})


@post("/v/{village_code:str}/meetings/{meeting_id:int}/close", opt={"permission": "meetings.manage"},
      sync_to_thread=True)
def meeting_close(request: Request[Any, Any, Any], village_code: str, meeting_id: int, data: Form) -> Response[Any]:
    return _act(request, village_code, meeting_id,
                lambda s, site, a, m: services.close_meeting(s, site, a, m, minutes=data.get("minutes")))


@post("/v/{village_code:str}/meetings/{meeting_id:int}/publish", opt={"permission": "meetings.manage"},
      sync_to_thread=True)
def meeting_publish(request: Request[Any, Any, Any], village_code: str, meeting_id: int) -> Response[Any]:
    return _act(request, village_code, meeting_id, services.publish_resolution)


# --- sign-in (htmx) ----------------------------------------------------------------------------------------


def _signin_rows(session: Session, meeting: Meeting, q: str) -> list[tuple[Any, bool]]:
    attendance = services.attendance_of(session, meeting)
    rows = []
    for member in services.meeting_members(session, meeting):
        if q and q not in member.name and q not in member.household_number:
            continue
        row = attendance.get(member.id or 0)
        rows.append((member, row is not None and row.signed_out_at is None))
    return rows


def _signin_page(request: Request[Any, Any, Any], village_code: str, meeting_id: int, q: str,
                 error: str | None = None, status_code: int = 200, asking: int | None = None) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        rows = _signin_rows(session, meeting, q) if meeting.status != "scheduled" else []
        quorum = services.meeting_quorum(session, site, meeting)
    return render(request, "meetings/signin.html", {**_common(), "meeting": meeting, "rows": rows, "q": q,
                                                    "quorum": quorum, "quorum_text": services.quorum_message(quorum),
                                                    "error": error, "asking": asking}, status_code=status_code)


@get("/v/{village_code:str}/meetings/{meeting_id:int}/signin", opt={"permission": "meetings.manage"},
     sync_to_thread=True)
def signin_page(request: Request[Any, Any, Any], village_code: str, meeting_id: int, q: str = "",
                ask: int | None = None) -> Response[str]:
    return _signin_page(request, village_code, meeting_id, q.strip()[:30], asking=ask)


@post("/v/{village_code:str}/meetings/{meeting_id:int}/signin/{member_id:int}",
      opt={"permission": "meetings.manage"}, sync_to_thread=True)
def signin_tap(request: Request[Any, Any, Any], village_code: str, meeting_id: int, member_id: int,
               data: Form) -> Response[Any]:
    """One tap signs in. Signing out takes two: the first ("ask") only turns the row into a question with
    确认签退 and 取消, so a stray tap never removes anyone. htmx gets the member's row and the quorum counter (out of
    band); without JavaScript the sign-in page comes back with the question on that row."""
    site = site_of(request)
    q = data.get("q", "").strip()[:30]
    action = data.get("action")
    if action in ("ask", "keep"):
        asking = member_id if action == "ask" else None
        if not is_htmx(request):
            ask = f"&ask={member_id}#m-{member_id}" if asking else f"#m-{member_id}"
            return Redirect(f"/v/{village_code}/meetings/{meeting_id}/signin?q={quote(q)}{ask}", status_code=303)
        return _signin_row(request, village_code, meeting_id, member_id, q, asking)
    try:
        with site.db.transaction() as session:
            meeting = services.get_meeting(session, village_code, meeting_id)
            if data.get("action") == "out":
                services.sign_out(session, site, actor_of(request), meeting, member_id)
            else:
                services.sign_in(session, site, actor_of(request), meeting, member_id)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return _signin_page(request, village_code, meeting_id, q, exc.message, status_code=exc.status_code)
    if not is_htmx(request):
        return Redirect(f"/v/{village_code}/meetings/{meeting_id}/signin?q={quote(q)}", status_code=303)
    return _signin_row(request, village_code, meeting_id, member_id, q, None)


def _signin_row(request: Request[Any, Any, Any], village_code: str, meeting_id: int, member_id: int, q: str,
                asking: int | None) -> Response[str]:
    """The member's row (asking to confirm a sign-out when `asking` is the member) and the quorum counter."""
    site = site_of(request)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        member = next((row for row in _signin_rows(session, meeting, "") if row[0].id == member_id), None)
        if member is None:
            raise NotFound(_("没有这位应到人员"))
        quorum = services.meeting_quorum(session, site, meeting)
    context = {**base_context(request), **_common(), "meeting": meeting, "member": member[0], "present": member[1],
               "q": q, "quorum": quorum, "quorum_text": services.quorum_message(quorum), "oob": True,
               "asking": asking}
    html = site.templates.get_template("meetings/_signin_row.html").render(context)
    html += site.templates.get_template("meetings/_quorum.html").render(context)
    return Response(html, status_code=200, media_type="text/html",
                    headers={"Vary": "HX-Request, Cookie"})


# --- motions and votes -------------------------------------------------------------------------------------


def _motion_page(request: Request[Any, Any, Any], village_code: str, meeting_id: int, motion_id: int,
                 error: str | None = None, status_code: int = 200, form: dict[str, str] | None = None,
                 errors: list[Problem] | None = None) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        motion = services.get_motion(session, meeting, motion_id)
        quorum = services.meeting_quorum(session, site, meeting)
        context = {
            **_common(), "meeting": meeting, "motion": motion, "quorum": quorum,
            "quorum_text": services.quorum_message(quorum), "present": services.present_members(session, meeting),
            "result": services.motion_result(session, motion), "matter_types": matters.matter_types(site),
            "error": error, "matter_rule": services.motion_rule(site, meeting, motion.matter_type),
            "form": form or {}, "errors": errors or [],
        }
    return render(request, "meetings/motion.html", context, status_code=status_code)


@get("/v/{village_code:str}/meetings/{meeting_id:int}/motions/{motion_id:int}",
     opt={"permission": "meetings.view"}, sync_to_thread=True)
def motion_page(request: Request[Any, Any, Any], village_code: str, meeting_id: int, motion_id: int) -> Response[str]:
    return _motion_page(request, village_code, meeting_id, motion_id)


def _motion_act(request: Request[Any, Any, Any], village_code: str, meeting_id: int, motion_id: int,
                action: Any, form: dict[str, str] | None = None) -> Response[Any]:
    return forms.run(
        request, lambda s, site, a: action(s, site, a, services.get_motion(
            s, services.get_meeting(s, village_code, meeting_id), motion_id)),
        then=f"/v/{village_code}/meetings/{meeting_id}/motions/{motion_id}",
        refused=lambda exc: _motion_page(request, village_code, meeting_id, motion_id, exc.message,
                                         status_code=exc.status_code, form=form,
                                         errors=forms.problems(exc)))


@post("/v/{village_code:str}/meetings/{meeting_id:int}/motions/{motion_id:int}/vote",
      opt={"permission": "meetings.manage"}, sync_to_thread=True)
def motion_vote(request: Request[Any, Any, Any], village_code: str, meeting_id: int, motion_id: int,
                data: Form) -> Response[Any]:
    def vote(session: Session, site: Site, actor: Actor, motion: Motion) -> None:
        method = data.get("method", "hands")
        if method == "named":
            votes = {int(key.removeprefix(VOTE_PREFIX)): value for key, value in data.items()
                     if key.startswith(VOTE_PREFIX) and key.removeprefix(VOTE_PREFIX).isdigit() and value}
            services.record_vote(session, site, actor, motion, votes)
        else:
            counts = _counts(data)
            services.record_vote_counts(session, site, actor, motion, **counts, method=method)

    return _motion_act(request, village_code, meeting_id, motion_id, vote, form={**data, "_form": "vote"})


def _counts(data: Mapping[str, str]) -> dict[str, int]:
    """The three vote counts of a show of hands; every one that cannot be read is named at once."""
    check = forms.Checks()
    counts = {name: check(_count, data, name, label) for name, label in
              (("votes_for", _("赞成")), ("against", _("反对")), ("abstain", _("弃权")))}
    check.done(MeetingError)
    return {name: value or 0 for name, value in counts.items()}


@get("/v/{village_code:str}/meetings/{meeting_id:int}/motions/{motion_id:int}/count-check",
     opt={"permission": "meetings.manage"}, sync_to_thread=True)
def motion_count_check(request: Request[Any, Any, Any], village_code: str, meeting_id: int,
                       motion_id: int) -> Response[str]:
    """The live check beside the vote counts (htmx, while the clerk types): the total against the attendees and
    the result the counts would record. Nothing is written; the submitted form is checked again in full."""
    site = site_of(request)
    typed = {k: request.query_params.get(k, "") for k in ("votes_for", "against", "abstain")}
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        motion = services.get_motion(session, meeting, motion_id)
        try:
            counts = _counts(typed)
        except MeetingError as exc:
            return render(request, "meetings/_count_check.html", {"problems": exc.problems, "preview": None})
        preview = services.preview_vote_counts(session, site, meeting, motion, **counts)
    return render(request, "meetings/_count_check.html", {"problems": [], "preview": preview})


@post("/v/{village_code:str}/meetings/{meeting_id:int}/motions/{motion_id:int}/correct",
      opt={"permission": "meetings.manage"}, sync_to_thread=True)
def motion_correct(request: Request[Any, Any, Any], village_code: str, meeting_id: int, motion_id: int,
                   data: Form) -> Response[Any]:
    def correct(session: Session, site: Site, actor: Actor, motion: Motion) -> None:
        check = forms.Checks()  # every unreadable count and the missing reason at once (the change is rolled back)
        counts = check(_counts, data) or {"votes_for": 0, "against": 0, "abstain": 0}
        check(services.correct_result, session, site, actor, motion, **counts, reason=data.get("reason", ""))
        check.done(MeetingError)

    return _motion_act(request, village_code, meeting_id, motion_id, correct, form={**data, "_form": "correct"})


@post("/v/{village_code:str}/meetings/{meeting_id:int}/motions/{motion_id:int}/delegate",
      opt={"permission": "meetings.manage"}, sync_to_thread=True)
def motion_delegate(request: Request[Any, Any, Any], village_code: str, meeting_id: int, motion_id: int,
                    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response[Any]:
    scope = data.get("scope") or []
    scope = [scope] if isinstance(scope, str) else list(scope)

    def delegate(session: Session, site: Site, actor: Actor, motion: Motion) -> None:
        check = forms.Checks()  # unreadable days and the service's refusals (kinds, days) at once
        valid_from = check(_day, data, "valid_from", _("生效日期"))
        valid_until = check(_day, data, "valid_until", _("截止日期"))
        # An unreadable start is not compared with the end (that would name a fault that is not there).
        start_unread = valid_from is None and bool(str(data.get("valid_from") or "").strip())
        check(services.create_delegation, session, site, actor, motion, scope=scope,
              valid_from=valid_from or local_today(), valid_until=None if start_unread else valid_until)
        check.done(MeetingError)

    return _motion_act(request, village_code, meeting_id, motion_id, delegate,
                       form={**data, "scope": scope, "_form": "delegate"})


def _delegations_page(request: Request[Any, Any, Any], village_code: str, form: dict[str, str] | None = None,
                      errors: list[Problem] | None = None, status_code: int = 200) -> Response[str]:
    """The delegations; after a refused revocation, `form` is what was typed (its "_form" the delegation's id, so
    only that row's form shows it) and `errors` its problems (forms/_fields.html)."""
    site = site_of(request)
    with site.db.read() as session:
        rows = services.delegations_of(session, village_code)
        meetings = {m.id: m for m in session.exec(select(Meeting).where(
            col(Meeting.id).in_([d.meeting_id for d in rows]))).all()} if rows else {}
    return render(request, "meetings/delegations.html", {
        **_common(), "delegations": rows, "meetings": meetings, "matter_types": matters.matter_types(site),
        "today": local_today(), "form": form or {}, "errors": errors or []}, status_code=status_code)


@get("/v/{village_code:str}/meetings/delegations", opt={"permission": "meetings.view"}, sync_to_thread=True)
def delegations_page(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _delegations_page(request, village_code)


@post("/v/{village_code:str}/meetings/delegations/{delegation_id:int}/revoke",
      opt={"permission": "meetings.manage"}, sync_to_thread=True)
def delegation_revoke(request: Request[Any, Any, Any], village_code: str, delegation_id: int,
                      data: Form) -> Response[Any]:
    from cunwu.meetings.models import Delegation

    def revoke(session: Session, site: Site, actor: Actor) -> None:
        delegation = session.get(Delegation, delegation_id)
        if delegation is None or delegation.village_code != village_code:
            raise NotFound(_("没有这项授权"))
        check = forms.Checks()  # an unreadable day and a missing reason at once (the change is rolled back)
        on = check(_day, data, "on", _("撤销日期"))
        check(services.revoke_delegation, session, site, actor, delegation, on=on or local_today(),
              reason=data.get("reason", ""))
        check.done(MeetingError)

    return forms.run(request, revoke, then=f"/v/{village_code}/meetings/delegations",
                     refused=lambda exc: _delegations_page(request, village_code, {**data, "_form": str(delegation_id)},
                                                           forms.problems(exc), exc.status_code))


# --- print: sign-in sheet, agenda, minutes -----------------------------------------------------------------


@get("/v/{village_code:str}/meetings/{meeting_id:int}/sheet", opt={"permission": "meetings.view"},
     sync_to_thread=True)
def signin_sheet(request: Request[Any, Any, Any], village_code: str, meeting_id: int) -> Response[str]:
    """The A4 sign-in sheet: the snapshot once open, the register on the meeting date before."""
    site = site_of(request)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        if meeting.status == "scheduled":
            rows: list[Any] = services.derive_members(session, site, village_code, MeetingKind(meeting.kind),
                                                      services.meeting_date(meeting), meeting.group_id)[0]
        else:
            rows = services.meeting_members(session, meeting)
        agenda = services.agenda_of(session, meeting)
    return render(request, "meetings/sheet.html", {**_common(), "meeting": meeting, "rows": rows, "agenda": agenda})


@get("/v/{village_code:str}/meetings/{meeting_id:int}/agenda", opt={"permission": "meetings.view"},
     sync_to_thread=True)
def agenda_print(request: Request[Any, Any, Any], village_code: str, meeting_id: int) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        agenda = services.agenda_of(session, meeting)
    return render(request, "meetings/agenda.html", {**_common(), "meeting": meeting, "agenda": agenda})


@get("/v/{village_code:str}/meetings/{meeting_id:int}/minutes", opt={"public": True}, sync_to_thread=True)
def minutes_page(request: Request[Any, Any, Any], village_code: str, meeting_id: int) -> Response[str]:
    """Minutes. With `meetings.view`: everything. Public: closed villagers' and representative meetings only,
    names only of attendees who hold a public post (representative meeting), counts for the villagers' meeting."""
    site = site_of(request)
    full = site.allowed(actor_of(request), "meetings.view", village_code)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        public_ok = meeting.status == "closed" and MeetingKind(meeting.kind) in (MeetingKind.villagers,
                                                                                 MeetingKind.representatives)
        if not full and not public_ok:
            if actor_of(request) is None:
                raise NotAuthorizedException(_("请先登录"))
            raise PermissionDeniedException(_("您没有权限执行此操作"))
        motions = services.motions_of(session, meeting)
        present = services.present_members(session, meeting)
        members = services.meeting_members(session, meeting)
        present_ids = {m.id for m in present}
        show_names = full or MeetingKind(meeting.kind) in services.PUBLIC_NAME_KINDS
        context = {
            **_common(), "meeting": meeting, "motions": motions, "full": full, "show_names": show_names,
            "results": {m.id: services.motion_result(session, m) for m in motions},
            "present": present if show_names else [],
            "absent": [m for m in members if m.id not in present_ids] if full else [],
            "agenda": services.agenda_of(session, meeting), "warnings": services.warning_texts(meeting),
            "quorum": services.meeting_quorum(session, site, meeting),
        }
    return render(request, "meetings/minutes.html", context)


# --- matters -----------------------------------------------------------------------------------------------


@get("/v/{village_code:str}/matters/", opt={"public": True}, sync_to_thread=True, name="matters_list")
def matters_list(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        rows = matters.matters_of(session, village_code)
    return render(request, "meetings/matters.html", {**_common(), "matters": rows,
                                                     "type_title": lambda code: matters.type_title(site, code)})


def _matter_new_page(request: Request[Any, Any, Any], form: dict[str, str], errors: list[Problem] | None = None,
                     status_code: int = 200) -> Response[str]:
    site = site_of(request)
    return render(request, "meetings/matter_new.html", {**_common(), "form": form, "errors": errors or [],
                                                        "matter_types": matters.matter_types(site),
                                                        "type_title": lambda code: matters.type_title(site, code)},
                  status_code=status_code)


@get("/v/{village_code:str}/matters/new", opt={"permission": "meetings.matters"}, sync_to_thread=True)
def matter_new(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _matter_new_page(request, {"matter_type": "other"})


@post("/v/{village_code:str}/matters/", opt={"permission": "meetings.matters"}, sync_to_thread=True)
def matter_create(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    def open_matter(session: Session, site: Site, actor: Actor) -> Matter:
        check = forms.Checks()  # the date and the matter's own fields at once
        opened_on = check(_day, data, "opened_on", _("立项日期"))
        matter = check(matters.open_matter, session, site, actor, village_code=village_code,
                       matter_type=data.get("matter_type", ""), title=data.get("title", ""),
                       summary=data.get("summary", ""), opened_on=opened_on)
        check.done(MeetingError)
        assert matter is not None
        return matter

    return forms.run(request, open_matter, then=lambda matter: f"/v/{village_code}/matters/{matter.id}",
                     refused=lambda exc: _matter_new_page(request, data, forms.problems(exc),
                                                          status_code=exc.status_code))


def _step_choices(session: Session, matter: Matter, step: int) -> list[tuple[str, str]]:
    """(value "meeting:motion", label) for the closed meetings where `step` may happen: each voted motion, and the
    meeting itself when it failed its quorum."""
    kinds = matters.STEP_KINDS.get(step)
    if kinds is None:
        return []
    meetings = session.exec(select(Meeting).where(
        Meeting.village_code == matter.village_code, Meeting.status == "closed",
        col(Meeting.kind).in_([k.value for k in kinds])).order_by(col(Meeting.starts_at).desc()).limit(30)).all()
    choices = []
    for meeting in meetings:
        day = services.meeting_date(meeting).isoformat()
        if not meeting.quorum_met:
            choices.append((f"{meeting.id}:", _("%(day)s %(title)s（不足法定人数）", day=day, title=meeting.title)))
            continue
        for motion in services.motions_of(session, meeting):
            result = services.motion_result(session, motion)
            if result is None or motion.matter_id not in (None, matter.id):
                continue
            choices.append((f"{meeting.id}:{motion.id}", _(
                "%(day)s %(title)s · 议案 %(number)s “%(motion)s”（%(result)s）", day=day, title=meeting.title,
                number=motion.number, motion=motion.title, result=_("通过") if result.passed else _("未通过"))))
    return choices


def _matter_page(request: Request[Any, Any, Any], village_code: str, matter_id: int, error: str | None = None,
                 form: dict[str, str] | None = None, status_code: int = 200,
                 errors: list[Problem] | None = None) -> Response[str]:
    site = site_of(request)
    can_manage = site.allowed(actor_of(request), "meetings.matters", village_code)
    with site.db.read() as session:
        matter = matters.get_matter(session, village_code, matter_id)
        timeline = matters.matter_timeline(session, site, matter)
        next_steps: list[int] = []
        if matter.status == "open":
            next_steps = [matter.step + 1]
            if matter.step == 0 and matter.merge_1_2:
                next_steps.append(2)
        choices = {step: _step_choices(session, matter, step) for step in next_steps} if can_manage else {}
    return render(request, "meetings/matter.html", {
        **_common(), "matter": matter, "timeline": timeline, "can_manage": can_manage, "next_steps": next_steps,
        "choices": choices, "error": error, "errors": errors or [], "form": form or {},
        "warning_texts": services.warning_texts,
        "type_title": matters.type_title(site, matter.matter_type), "today": local_today(),
    }, status_code=status_code)


@get("/v/{village_code:str}/matters/{matter_id:int}", opt={"public": True}, sync_to_thread=True)
def matter_page(request: Request[Any, Any, Any], village_code: str, matter_id: int) -> Response[str]:
    return _matter_page(request, village_code, matter_id)


def _matter_act(request: Request[Any, Any, Any], village_code: str, matter_id: int, data: dict[str, str],
                action: Any) -> Response[Any]:
    return forms.run(
        request, lambda s, site, a: action(s, site, a, matters.get_matter(s, village_code, matter_id)),
        then=lambda target: f"/v/{village_code}/matters/{target.id if isinstance(target, Matter) else matter_id}",
        refused=lambda exc: _matter_page(request, village_code, matter_id, exc.message, data,
                                         status_code=exc.status_code,
                                         errors=forms.problems(exc)))


@post("/v/{village_code:str}/matters/{matter_id:int}/steps", opt={"permission": "meetings.matters"},
      sync_to_thread=True)
def matter_step(request: Request[Any, Any, Any], village_code: str, matter_id: int, data: Form) -> Response[Any]:
    def record(session: Session, site: Site, actor: Actor, matter: Matter) -> None:
        check = forms.Checks()
        step = check(forms.integer, data.get("step"), "step", _("步骤"), default=0, minimum=0)
        held_on = check(_day, data, "held_on", _("日期"))
        meeting = motion = None
        if data.get("where"):
            meeting_part, _sep, motion_part = data["where"].partition(":")
            meeting_id = check(forms.integer, meeting_part, "where", _("会议"))
            motion_id = check(forms.integer, motion_part, "where", _("议案")) if motion_part else None
            check.done(MeetingError)
            meeting = services.get_meeting(session, village_code, meeting_id)  # type: ignore[arg-type]
            motion = services.get_motion(session, meeting, motion_id) if motion_id is not None else None
        check.done(MeetingError)
        matters.record_step(session, site, actor, matter, step, meeting=meeting, motion=motion,  # type: ignore[arg-type]
                            origin=data.get("origin", ""), content=data.get("content", ""),
                            signatures=_lines(data.get("signatures")), held_on=held_on,
                            notice_title=data.get("notice_title", ""), notice_body=data.get("notice_body", ""))

    return _matter_act(request, village_code, matter_id, data, record)


@post("/v/{village_code:str}/matters/{matter_id:int}/stop", opt={"permission": "meetings.matters"},
      sync_to_thread=True)
def matter_stop(request: Request[Any, Any, Any], village_code: str, matter_id: int, data: Form) -> Response[Any]:
    return _matter_act(request, village_code, matter_id, data,
                       lambda s, site, a, m: matters.stop_matter(s, site, a, m, data.get("reason", "")))


@post("/v/{village_code:str}/matters/{matter_id:int}/repropose", opt={"permission": "meetings.matters"},
      sync_to_thread=True)
def matter_repropose(request: Request[Any, Any, Any], village_code: str, matter_id: int,
                     data: Form) -> Response[Any]:
    return _matter_act(request, village_code, matter_id, data, matters.repropose)


ROUTES = [
    meetings_list, meeting_new, meeting_create, delegations_page, delegation_revoke, meeting_detail,
    meeting_agenda_add, meeting_open, meeting_counts, motion_put, meeting_close_confirm, meeting_close,
    meeting_publish, signin_page, signin_tap, motion_page, motion_vote, motion_count_check, motion_correct,
    motion_delegate, signin_sheet,
    agenda_print, minutes_page, matters_list, matter_new, matter_create, matter_page, matter_step, matter_stop,
    matter_repropose,
]
