"""一事一议 services: proposal → plan published → vote → shares → township review → county filing → collections
and labour → account published — one module per stage, every name re-exported here (`services.propose`, ...).

Each function takes `(session, site, actor, ...)`, checks, writes through the audit service and never commits.
Errors a person must see are `YishiError` (a `DomainError`) with the field where it applies. The pure arithmetic
lives in `shares.py`; these modules feed it from the register (`cunwu.registry.queries`) and store the results.

The stages, each importing only those before it: `common` (errors, settings, reading a project), `proposal`,
`vote` (the 村民会议/代表会议 result, or through a 四议两公开 matter), `ballots` (online vote with one-time codes),
`share_fixing`, `review` (township review, county filing), `burden` (the published burden list), `collections`
(money, labour, conversion, spending), `account`. One exception: `proposal` checks the yearly caps while the plan
is drafted with `share_fixing`'s arithmetic (`drafting_cap_violations`), which needs nothing but `common`.
"""

from .account import Account, account_of, publish_account
from .ballots import BALLOT_ACTOR, CodeSlip, ballot_tally, cast_ballot, close_online_vote, hash_code, issue_codes
from .burden import BurdenLine, burden_columns, burden_list, burden_rows, publish_burden_list
from .collections import add_spending, convert_labour, record_collection, record_labour
from .common import (
    ACCOUNT_CATEGORY,
    CODE_ALPHABET,
    CODE_LENGTH,
    COUNTING,
    GONE_STATUSES,
    MATTER_TYPE,
    NOTICE_CATEGORY,
    ORIGIN_FRACTIONS,
    YishiError,
    current_shares,
    get_project,
    input_error,
    kind_title,
    project_url,
    projects_of,
    reductions_of,
    requesters_of,
    reviews_of,
    settings_of,
    spending_of,
    stage_counts,
    vote_of,
)
from .proposal import (
    ProposalInput,
    parse_amount,
    plan_text,
    propose,
    publish_plan,
    requester_base,
    requester_candidates,
)
from .review import file_plan, review, submit_for_review
from .share_fixing import (
    cap_preview,
    cap_refusal,
    drafting_cap_violations,
    earlier_shares,
    fix_shares,
    household_choices,
    preview_shares,
    set_dibao_households,
    set_reduction,
)
from .vote import (
    candidate_motions,
    matter_stopped,
    record_result,
    thresholds_text,
    vote_from_matter_step,
    vote_through_matter,
)

__all__ = [
    "ACCOUNT_CATEGORY",
    "BALLOT_ACTOR",
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "COUNTING",
    "GONE_STATUSES",
    "MATTER_TYPE",
    "NOTICE_CATEGORY",
    "ORIGIN_FRACTIONS",
    "Account",
    "BurdenLine",
    "CodeSlip",
    "ProposalInput",
    "YishiError",
    "account_of",
    "add_spending",
    "ballot_tally",
    "burden_columns",
    "burden_list",
    "burden_rows",
    "candidate_motions",
    "cap_preview",
    "cap_refusal",
    "cast_ballot",
    "close_online_vote",
    "convert_labour",
    "current_shares",
    "drafting_cap_violations",
    "earlier_shares",
    "file_plan",
    "fix_shares",
    "get_project",
    "hash_code",
    "household_choices",
    "input_error",
    "issue_codes",
    "kind_title",
    "matter_stopped",
    "parse_amount",
    "plan_text",
    "preview_shares",
    "project_url",
    "projects_of",
    "propose",
    "publish_account",
    "publish_burden_list",
    "publish_plan",
    "record_collection",
    "record_labour",
    "record_result",
    "reductions_of",
    "requester_base",
    "requester_candidates",
    "requesters_of",
    "review",
    "reviews_of",
    "set_dibao_households",
    "set_reduction",
    "settings_of",
    "spending_of",
    "stage_counts",
    "submit_for_review",
    "thresholds_text",
    "vote_from_matter_step",
    "vote_of",
    "vote_through_matter",
]
