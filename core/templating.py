"""Template and static-file search order: site > theme (and the themes it extends) > enabled plugins > core.

Each layer is also reachable by prefix (`core:`, `theme:`, `site:`, `<plugin>:`), so a layer can override a template
and still extend the one below: `{% extends "core:base.html" %}`.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from cunwu import i18n
from cunwu.clock import LOCAL_TZ
from cunwu.sites import SiteConfigError, themes_dirs

if TYPE_CHECKING:
    from cunwu.plugins import PluginSet
    from cunwu.sites import SiteConfig

CORE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Theme:
    name: str
    path: Path
    extends: str | None


def theme_chain(name: str, search: list[Path] | None = None, _seen: tuple[str, ...] = ()) -> list[Theme]:
    """The theme and its parents, nearest first. Each is looked up in `search` (default: `themes_dirs()`)."""
    search = themes_dirs() if search is None else search
    if name in _seen:
        raise SiteConfigError(f"themes: extends: theme loop {' > '.join((*_seen, name))}")
    file = next((d / name / "theme.toml" for d in search if (d / name / "theme.toml").is_file()), None)
    if file is None:
        looked = ", ".join(str(d) for d in search)
        raise SiteConfigError(f"site.theme: no such theme {name!r} (looked in {looked})")
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    theme = Theme(name=name, path=file.parent, extends=data.get("extends"))
    parents = theme_chain(theme.extends, search, (*_seen, name)) if theme.extends else []
    return [theme, *parents]


class LayeredSite(Protocol):
    """What the search order is built from: a site's folder, its themes and its plugins (a `cunwu.runtime.Site`;
    a protocol, so this module, which the site is built with, does not depend on it)."""

    config: SiteConfig
    themes: list[Theme]
    plugins: PluginSet


def layer_dirs(site: LayeredSite, kind: str) -> list[tuple[str, Path]]:
    """(prefix, folder) for `templates` or `static`, in search order; missing folders left out."""
    layers: list[tuple[str, Path]] = [("site", site.config.path / kind)]
    layers += [("theme", t.path / kind) for t in site.themes]
    if kind == "templates":
        layers += [(name, site.plugins.folder(name) / kind) for name in site.plugins.plugin_names()]
    layers.append(("core", CORE_DIR / kind))
    return [(prefix, path) for prefix, path in layers if path.is_dir()]


def build_environment(site: LayeredSite) -> Environment:
    layers = layer_dirs(site, "templates")
    by_prefix: dict[str, list[str]] = {}
    for prefix, path in layers:
        by_prefix.setdefault(prefix, []).append(str(path))
    loader = ChoiceLoader(
        [
            FileSystemLoader([str(path) for _, path in layers]),
            PrefixLoader({p: FileSystemLoader(paths) for p, paths in by_prefix.items()}, delimiter=":"),
        ]
    )
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(gettext=_template_gettext, _=_template_gettext)
    env.filters["localtime"] = localtime
    env.filters["who"] = who
    env.filters["majority_text"] = majority_text
    return env


@pass_context
def _template_gettext(context: Context, message: str, /, **values: Any) -> str:
    """Jinja's newstyle `_()`, without its cost where it changes nothing: Jinja formats every translation with
    `Markup % values` even without values (escaping, a new Markup) and reaches it through an alias that resolves and
    calls it through the context — two to four times a plain lookup, and a page says `_()` 50 to 100 times. The
    text is the same: a message without values or `%` is returned as it is (as safe Markup under autoescape)."""
    text = i18n.gettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % values if values or "%" in text else text


_LABELLED = re.compile(r"^(?P<name>.*) \((?P<username>[^()]*)\)$")
_MAJORITY_BASES = {"attendees": "到会人员", "members": "全体组成人员"}


def who(label: str | None) -> str:
    """An actor label as stored on a record ("张秀英 (clerk)", "demo (system:demo)") as people read it: the name,
    or 系统 for what a command or scheduled job did."""
    if not label:
        return ""
    match = _LABELLED.match(label)
    username = match.group("username") if match else label
    if username.startswith("system:"):
        return i18n._("系统")
    return match.group("name") if match else label


def majority_text(stored: str | None) -> str:
    """A motion's stored rule ("> 1/2 · attendees") with its base in words."""
    rule, _sep, base = (stored or "").partition(" · ")
    if base in _MAJORITY_BASES:
        return i18n._("%(rule)s（基数：%(base)s）", rule=rule, base=i18n.gettext(_MAJORITY_BASES[base]))
    return stored or ""


def localtime(moment: dt.datetime | None) -> str:
    """A stored (UTC) time as people read it: China time, to the minute."""
    if moment is None:
        return ""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def template_exists(env: Environment, name: str) -> bool:
    try:
        env.get_template(name)
    except Exception:
        return False
    return True


def render_block(env: Environment, name: str, block: str, context: dict[str, Any]) -> str:
    """Render one named block of a template (the fragment an htmx request asks for)."""
    template = env.get_template(name)
    render = template.blocks[block]
    return "".join(render(template.new_context(context)))
