"""Template and static-file search order: site > theme (and the themes it extends) > enabled plugins > core.

Each layer is also reachable by prefix (`core:`, `theme:`, `site:`, `<plugin>:`), so a layer can override a template
and still extend the one below: `{% extends "core:base.html" %}`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from cunwu import i18n
from cunwu.sites import SiteConfigError, themes_dirs

if TYPE_CHECKING:
    from cunwu.runtime import Site

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


def layer_dirs(site: Site, kind: str) -> list[tuple[str, Path]]:
    """(prefix, folder) for `templates` or `static`, in search order; missing folders left out."""
    layers: list[tuple[str, Path]] = [("site", site.config.path / kind)]
    layers += [("theme", t.path / kind) for t in site.themes]
    if kind == "templates":
        layers += [(name, site.plugins.folder(name) / kind) for name in site.plugins.plugin_names()]
    layers.append(("core", CORE_DIR / kind))
    return [(prefix, path) for prefix, path in layers if path.is_dir()]


def build_environment(site: Site) -> Environment:
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
    return env


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
