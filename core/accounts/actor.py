"""Who is acting: a logged-in user with their scoped role grants, or the system (CLI, demo, scheduled jobs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    """A role held over a scope: the whole site, one township (9-digit code) or one village (12-digit code)."""

    role: str
    scope_kind: str  # "site" | "township" | "village"
    scope_code: str = ""

    def covers(self, scope_code: str | None) -> bool:
        """Does this grant reach `scope_code` (a 12-digit village, a 9-digit township, or None for the site)?"""
        if self.scope_kind == "site":
            return True
        if scope_code is None:
            return False
        if self.scope_kind == "township":
            return scope_code[:9] == self.scope_code
        return scope_code == self.scope_code


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user with their role grants, or a system actor (CLI, demo, import).

    Audited writes record it."""

    user_id: int | None
    username: str
    display_name: str
    grants: tuple[Grant, ...] = ()
    person_id: int | None = None

    @classmethod
    def system(cls, label: str) -> Actor:
        """The actor recorded for changes made by a command or a scheduled job."""
        return cls(user_id=None, username=f"system:{label}", display_name=label)

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.username})"

    def roles_for(self, scope_code: str | None) -> set[str]:
        return {g.role for g in self.grants if g.covers(scope_code)}

    def villages(self) -> set[str]:
        """Village codes named directly by the actor's village-scoped grants."""
        return {g.scope_code for g in self.grants if g.scope_kind == "village"}

    def has_role(self, role: str) -> bool:
        return any(g.role == role for g in self.grants)
