"""The public plugin API (`cunwu.api`): its reference page is current, every name is described, and the boundary is
typed (no `Any` for the site or the actor)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cunwu import api, hookspecs
from cunwu.apidoc import reference
from cunwu.cli import cli
from cunwu.meetings.settings import MeetingSettings
from cunwu_plugins.yishi.settings import YishiSettings

ROOT = Path(__file__).resolve().parents[2]


def test_docs_api_md_is_the_generated_reference() -> None:
    assert (ROOT / "docs" / "api.md").read_text(encoding="utf-8") == reference(), (
        "docs/api.md is out of date: regenerate it with `cunwu plugins api > docs/api.md`")


def test_the_command_prints_the_reference() -> None:
    result = CliRunner().invoke(cli, ["plugins", "api"])
    assert result.exit_code == 0
    assert result.output == reference()


def test_every_public_name_exists_and_is_described() -> None:
    text = reference()
    assert "(no description)" not in text
    for name in api.__all__:
        assert hasattr(api, name), name
        assert f"## `{name}` (" in text


@pytest.mark.parametrize("name", ["site_of", "actor_of", "require", "open_site"])
def test_api_helpers_are_typed(name: str) -> None:
    returns = inspect.signature(getattr(api, name)).return_annotation
    assert "Any" not in str(returns) and ("Site" in str(returns) or "Actor" in str(returns))


def test_hook_arguments_for_site_and_actor_are_typed() -> None:
    untyped = []
    for name, spec in vars(hookspecs).items():
        if not (inspect.isfunction(spec) and hasattr(spec, "cunwu_spec")):
            continue
        for param in inspect.signature(spec).parameters.values():
            if param.name in ("site", "actor", "session", "notice", "matter", "demo", "cli") and (
                    "Any" in str(param.annotation)):
                untyped.append(f"{name}({param.name})")
    assert untyped == []


def test_settings_for_returns_the_plugins_own_model(site_factory: Any) -> None:
    site = site_factory(enabled=["yishi"], extra_toml='[plugins.yishi]\nmoney_cap_per_person = "20"\n')
    settings = site.settings_for(YishiSettings)
    assert isinstance(settings, YishiSettings) and str(settings.money_cap_per_person) == "20"
    assert isinstance(site.settings_for(MeetingSettings), MeetingSettings)  # a core area's too
    bare = site_factory()
    with pytest.raises(KeyError, match="settings model YishiSettings"):
        bare.settings_for(YishiSettings)


def test_no_public_function_takes_an_untyped_site_or_actor() -> None:
    """Every function a plugin reaches through `cunwu.api` (its modules' functions too) names `Site` and `Actor`."""
    untyped = []
    for name in api.__all__:
        obj = getattr(api, name)
        functions = ([f for f in vars(obj).values() if inspect.isfunction(f) and f.__module__ == obj.__name__]
                     if inspect.ismodule(obj) else [obj] if inspect.isfunction(obj) else [])
        for function in functions:
            for param in inspect.signature(function).parameters.values():
                if param.name in ("site", "actor") and str(param.annotation) in ("Any", "typing.Any", "_empty"):
                    untyped.append(f"{name}.{function.__name__}({param.name})")
    assert untyped == []
