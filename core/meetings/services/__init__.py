"""Meetings: schedule, open (member snapshot), sign-in, quorum, motions, votes, corrections, close, publish,
delegation — one module per stage, every name re-exported here (`cunwu.meetings.services`, `cunwu.api.meetings`).

Every function takes `(session, site, actor, ...)`, checks, writes through `cunwu.audit.services` and never commits:
the caller owns the transaction. Refusals are `MeetingError` (a `DomainError`) with a translated message that
carries the numbers. The arithmetic is `cunwu.meetings.rules` (exact fractions); these modules only count.

Rows that change state (a meeting, a motion, an attendance) are re-read `FOR UPDATE` first, so on PostgreSQL two
clerks acting at once queue on the row; SQLite write transactions are exclusive already.

The stages, each importing only those before it: `common` (titles, errors, settings, rule sets, reading a meeting
and its motions' results), `matter_types`, `members` (derived from the register; the snapshot), `quorum`,
`publication` (posting on the board; closing; the resolution), `scheduling` (and opening), `signin`, `delegation`
(art. 24), `votes` (motions, votes, corrections).
"""

from cunwu.meetings.services.common import (
    CHOICES,
    CONVENERS,
    PUBLIC_KINDS,
    PUBLIC_NAME_KINDS,
    ROLE_TITLES,
    STATUS_TITLES,
    VOTE_METHODS,
    MeetingError,
    MotionResult,
    check_rule_sets,
    corrections_of,
    effective_rule,
    get_meeting,
    get_motion,
    kind_title,
    local_date,
    meeting_date,
    motion_result,
    motions_of,
    rule_set_title,
    rule_sets,
    settings_of,
    warning_texts,
)
from cunwu.meetings.services.delegation import create_delegation, delegations_of, revoke_delegation, valid_delegation
from cunwu.meetings.services.members import (
    DerivedMember,
    attendance_of,
    derive_members,
    meeting_members,
    present_members,
    snapshot_digest,
)
from cunwu.meetings.services.publication import close_meeting, publish, publish_resolution, resolution_text
from cunwu.meetings.services.quorum import MeetingQuorum, meeting_quorum, quorum_message
from cunwu.meetings.services.scheduling import (
    add_agenda_item,
    agenda_of,
    meeting_notice_body,
    open_meeting,
    schedule_meeting,
)
from cunwu.meetings.services.signin import record_counts, sign_in, sign_out
from cunwu.meetings.services.votes import (
    CountPreview,
    check_reserved_matter,
    correct_result,
    motion_rule,
    motion_rule_set,
    preview_vote_counts,
    put_motion,
    record_vote,
    record_vote_counts,
)

__all__ = [
    "CHOICES",
    "CONVENERS",
    "PUBLIC_KINDS",
    "PUBLIC_NAME_KINDS",
    "ROLE_TITLES",
    "STATUS_TITLES",
    "VOTE_METHODS",
    "CountPreview",
    "DerivedMember",
    "MeetingError",
    "MeetingQuorum",
    "MotionResult",
    "add_agenda_item",
    "agenda_of",
    "attendance_of",
    "check_reserved_matter",
    "check_rule_sets",
    "close_meeting",
    "correct_result",
    "corrections_of",
    "create_delegation",
    "delegations_of",
    "derive_members",
    "effective_rule",
    "get_meeting",
    "get_motion",
    "kind_title",
    "local_date",
    "meeting_date",
    "meeting_members",
    "meeting_notice_body",
    "meeting_quorum",
    "motion_result",
    "motion_rule",
    "motion_rule_set",
    "motions_of",
    "open_meeting",
    "present_members",
    "preview_vote_counts",
    "publish",
    "publish_resolution",
    "put_motion",
    "quorum_message",
    "record_counts",
    "record_vote",
    "record_vote_counts",
    "resolution_text",
    "revoke_delegation",
    "rule_set_title",
    "rule_sets",
    "schedule_meeting",
    "settings_of",
    "sign_in",
    "sign_out",
    "snapshot_digest",
    "valid_delegation",
    "warning_texts",
]
