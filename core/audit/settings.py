"""`[core.audit]` in site.toml: where the chain's checkpoints go and the key that signs them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AuditSettings(BaseModel):
    """`[core.audit]` in site.toml."""

    model_config = ConfigDict(extra="forbid")

    checkpoint_file: str = Field(
        default="", description="Where checkpoints are appended (keep it off the database host, or copy it away); "
                                "default: <slug>.audit-checkpoints.jsonl in CUNWU_DATA_DIR")
    key_file: str = Field(
        default="", description="A file holding the checkpoint signing key (readable by the app only, not in the "
                                "database); CUNWU_AUDIT_KEY overrides it; none: checkpoints are unsigned")
