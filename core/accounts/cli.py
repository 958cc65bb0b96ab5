"""`cunwu users create`: make an account and grant it roles."""

from __future__ import annotations

import click

from cunwu.accounts.actor import Actor
from cunwu.accounts.services import AccountError, create_user, find_person, grant_role, link_person
from cunwu.commands import site_option


@click.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@site_option
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True,
              help="ROLE or ROLE:SCOPE (scope: 12-digit village or 9-digit township code); repeatable")
@click.option("--person", "person_ref", default=None,
              help="link the account to a register person: the person's record id or resident ID number")
def create(site_slug: str | None, username: str, display_name: str, password: str, roles: tuple[str, ...],
           person_ref: str | None) -> None:
    """Create a user with the given roles (and its register person), in one transaction."""
    from cunwu.commands import console, open_site

    site = open_site(site_slug)
    actor = Actor.system("cli:users-create")
    try:
        with site.db.transaction() as session:
            user = create_user(session, actor, username=username, display_name=display_name, password=password)
            for spec in roles:
                role, _, scope = spec.partition(":")
                grant_role(session, actor, user, role, scope)
            if person_ref is not None:
                person = find_person(session, person_ref)
                link_person(session, actor, user, person.id)
                linked = f", linked to {person.name} ({person.village_code})"
            else:
                linked = ""
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"created user {username} with roles {', '.join(roles) or 'none'}{linked}", highlight=False)
