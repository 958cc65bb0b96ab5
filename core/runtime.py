"""A running site: its checked config, plugin set, database, templates and shared store. One per site, built fresh."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from jinja2 import Environment
from pydantic import BaseModel

from cunwu import i18n, request_scope
from cunwu.db.engine import Database
from cunwu.plugins import PluginSet, call_hook, flatten_answers, load_plugins
from cunwu.sites import SiteConfig, SiteConfigError, VillageEntry
from cunwu.templating import Theme, build_environment, theme_chain
from cunwu.web.store import make_store

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class Site:
    """A running site: what a handler, hook or command gets to read settings, check permissions and use the database.
    """
    def __init__(self, config: SiteConfig, available: Mapping[str, Any] | None = None,
                 db: Database | None = None) -> None:
        self.config = config
        self.slug = config.slug
        self.plugins: PluginSet = load_plugins(config, available)
        try:
            self.themes: list[Theme] = theme_chain(config.theme)
        except SiteConfigError as exc:
            raise SiteConfigError(f"{config.file}: {exc}") from exc
        self.db = db or Database(config.database_url)
        self.store = make_store(self.db, config.slug)
        for name in self.plugins.plugin_names():
            i18n.load_catalogs(self.plugins.folder(name) / "locale")
        self.templates: Environment = build_environment(self)
        self.villages: dict[str, VillageEntry] = {v.code: v for v in config.villages}

    def __repr__(self) -> str:
        return f"<Site {self.slug}>"

    def call(self, hook_name: str, /, **kwargs: Any) -> list[Any]:
        """Call a hook through `call_hook` (traced, async awaited) and flatten the answers into one list.

        Callers that need to know which plugin answered use `cunwu.plugins.call_hook(site.plugins.pm, ...)`.
        """
        return flatten_answers(call_hook(self.plugins.pm, hook_name, **kwargs))

    def run_startup(self) -> None:
        """Call every `startup` hook (the app does this on start; the CLI and tests call it directly)."""
        call_hook(self.plugins.pm, "startup", site=self)

    def run_shutdown(self) -> None:
        """Call every `shutdown` hook, then close the database pools."""
        call_hook(self.plugins.pm, "shutdown", site=self)
        self.db.dispose()

    def settings(self, name: str) -> Any:
        """The validated settings model of a plugin or core area (`[plugins.<name>]` / `[core.<name>]`)."""
        value: BaseModel | None = self.plugins.settings.get(name)
        if value is None:
            raise KeyError(f"{name!r} has no settings on site {self.slug}")
        return value

    def settings_for(self, model: type[SettingsT]) -> SettingsT:
        """The validated settings of the plugin or core area whose manifest declares `model`, typed as `model`.

        A plugin asks for its own settings this way (`site.settings_for(YishiSettings)`); KeyError when no enabled
        plugin declares `model`."""
        for name, manifest in self.plugins.manifests.items():
            if manifest.settings is model:
                value = self.plugins.settings.get(name)
                if isinstance(value, model):
                    return value
        raise KeyError(f"no plugin enabled on site {self.slug} has the settings model {model.__name__}")

    def is_enabled(self, plugin: str) -> bool:
        return plugin in self.plugins.manifests

    def village(self, code: str) -> VillageEntry | None:
        return self.villages.get(code)

    def townships(self) -> dict[str, list[VillageEntry]]:
        grouped: dict[str, list[VillageEntry]] = {}
        for village in self.config.villages:
            grouped.setdefault(village.township, []).append(village)
        return grouped

    def allowed(self, actor: Actor | None, action: str, scope_code: str | None = None) -> bool:
        """May `actor` do `action` (a permission name) in village `scope_code` (None: site wide)?

        Within a web request each question is put to the plugins once (`cunwu.request_scope`): a page asks the same
        ones from its guard, menu, slots and template, and a county page once per village."""
        from cunwu.accounts.services import is_allowed

        scope = request_scope.current()
        if scope is None:
            return is_allowed(self, actor, action, scope_code)
        key = (self, actor, action, scope_code)
        answer = scope.permissions.get(key)
        if answer is None:
            answer = scope.permissions[key] = is_allowed(self, actor, action, scope_code)
        return answer

    def villages_for(self, actor: Actor | None, action: str) -> list[str]:
        """Village codes where the actor may do `action`: county-level pages filter their lists with this.

        The same answers as `allowed` for each village, but each plugin is asked once for all villages where it
        can (`permission_villages`); within a request the answers are kept for later `allowed` questions."""
        from cunwu.accounts.services import allowed_villages

        answers = allowed_villages(self, actor, action, list(self.villages))
        scope = request_scope.current()
        if scope is not None:
            for code, answer in answers.items():
                scope.permissions.setdefault((self, actor, action, code), answer)
        return [code for code, answer in answers.items() if answer]

    def allowed_anywhere(self, actor: Actor | None, action: str) -> bool:
        """May the actor do `action` site-wide or in at least one village (e.g. a township official)?"""
        if actor is None:
            return False
        if self.allowed(actor, action, None):
            return True
        # the villages the actor's own grants reach first: the answer is usually there, and the first yes ends it
        ordered = sorted(self.villages, key=lambda code: not actor.roles_for(code))
        return any(self.allowed(actor, action, code) for code in ordered)

    def secret(self) -> str:
        """The site's signing secret, kept in its database so every worker and every restart shares it."""
        from cunwu.web.store import DatabaseStore

        store = DatabaseStore(self.db, namespace=f"cunwu_{self.slug}_secret")
        return store.get_or_set("csrf", secrets.token_hex(32).encode()).decode()
