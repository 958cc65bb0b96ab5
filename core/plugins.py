"""The plugin system: one pluggy PluginManager per site, built from the core's own default plugins and the installed
plugins (entry-point group `cunwu`) that the site enables. Everything a plugin declares is checked here, at
start-up, and any clash stops the site with a message naming the plugin.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import os
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import BaseModel, ValidationError

from cunwu import API_VERSION, hookspecs
from cunwu.logs import configure_logging
from cunwu.plugin_types import Manifest, Permission
from cunwu.sites import SiteConfig, SiteConfigError, format_validation_error

_TRACE = logging.getLogger("cunwu.hooks")

# The core's features use the same hooks as any plugin (Datasette's DEFAULT_PLUGINS idea).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "cunwu.web.plugin",
    "cunwu.accounts.plugin",
    "cunwu.audit.plugin",
    "cunwu.registry.plugin",
    "cunwu.meetings.plugin",
    "cunwu.notices.plugin",
)


class PluginError(Exception):
    """A plugin cannot be loaded for a site. The message names the plugin and what is wrong."""


def installed_plugins() -> dict[str, Any]:
    """Entry points of the `cunwu` group, by name (not loaded)."""
    return {ep.name: ep for ep in entry_points(group="cunwu")}


@dataclass
class PluginSet:
    """The checked result of loading a site's plugins: what the rest of the framework reads."""

    pm: pluggy.PluginManager
    manifests: dict[str, Manifest]
    objects: dict[str, Any]
    models: dict[str, list[type]]
    permissions: dict[str, Permission]
    settings: dict[str, BaseModel | None]
    enabled: list[str] = field(default_factory=list)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def folder(self, name: str) -> Path:
        """The source folder of a plugin (its templates/, static/, locale/ live there)."""
        if self.manifests[name].folder is not None:
            return Path(self.manifests[name].folder).resolve()  # type: ignore[arg-type]
        obj = self.objects[name]
        module = inspect.getmodule(obj) if not inspect.ismodule(obj) else obj
        return Path(module.__file__).resolve().parent  # type: ignore[union-attr,arg-type]

    def owner_of_table(self) -> dict[str, str]:
        """Table name -> owning plugin name (core areas included)."""
        return {m.__tablename__: owner for owner, models in self.models.items() for m in models}  # type: ignore[attr-defined]

    def plugin_names(self) -> list[str]:
        """Non-core plugins enabled for this site, in load order."""
        return [name for name, m in self.manifests.items() if not m.core]


def make_plugin_manager(
    config: SiteConfig, available: Mapping[str, Any] | None = None
) -> pluggy.PluginManager:
    """A fresh manager for one site: core defaults, then the enabled plugins in the order the site lists them.

    `available` adds plugin objects by name to the installed ones (tests register inline plugins this way).
    """
    pm = pluggy.PluginManager("cunwu")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    extra = dict(available or {})
    installed = installed_plugins()
    for name in config.enabled:
        if name in extra:
            obj = extra[name]
        elif name in installed:
            try:
                obj = installed[name].load()
            except Exception as exc:
                raise PluginError(f"plugin {name!r}: failed to import: {exc!r}") from exc
        else:
            known = sorted(set(installed) | set(extra))
            raise SiteConfigError(
                f"{config.file}: site.enabled: unknown plugin {name!r}; installed plugins: {', '.join(known) or 'none'}"
            )
        if pm.is_registered(obj):
            raise SiteConfigError(f"{config.file}: site.enabled: plugin {name!r} is listed twice")
        specs = getattr(obj, "hookspecs", None)
        if specs is not None:  # hooks this plugin offers to others (docs/hooks.md, "Hooks offered by plugins")
            pm.add_hookspecs(specs)
        pm.register(obj, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {pm.get_name(exc.plugin)!r}: {exc}") from exc
    return pm


def _check_settings(config: SiteConfig, manifests: dict[str, Manifest]) -> dict[str, BaseModel | None]:
    settings: dict[str, BaseModel | None] = {}
    given = {**{("core", k): v for k, v in config.core_settings.items()},
             **{("plugins", k): v for k, v in config.plugin_settings.items()}}
    for (section, name), _values in given.items():
        manifest = manifests.get(name)
        if manifest is None or manifest.core != (section == "core"):
            if section == "plugins" and name in installed_plugins():
                continue  # settings kept for an installed plugin this site has switched off
            known = sorted(n for n, m in manifests.items() if m.core == (section == "core") and m.settings)
            raise SiteConfigError(
                f"{config.file}: [{section}.{name}]: unknown {'core area' if section == 'core' else 'plugin'} "
                f"{name!r}; expected one of: {', '.join(known) or 'none'}"
            )
    for name, manifest in manifests.items():
        section = "core" if manifest.core else "plugins"
        values = given.get((section, name), {})
        if manifest.settings is None:
            if values:
                raise SiteConfigError(f"{config.file}: [{section}.{name}]: plugin {name!r} takes no settings")
            settings[name] = None
            continue
        try:
            settings[name] = manifest.settings.model_validate(values)
        except ValidationError as exc:
            raise SiteConfigError(format_validation_error(config.file, f"[{section}.{name}]", exc)) from exc
    return settings


def load_plugins(config: SiteConfig, available: Mapping[str, Any] | None = None) -> PluginSet:
    """Build and check the site's plugins. Raises PluginError / SiteConfigError with a clear message."""
    pm = make_plugin_manager(config, available)
    manifests: dict[str, Manifest] = {}
    objects: dict[str, Any] = {}
    for plugin_name, manifest in call_hook(pm, "manifest", load_order=True):
        if not isinstance(manifest, Manifest):
            raise PluginError(f"plugin {plugin_name!r}: manifest() must return a cunwu.plugin_types.Manifest")
        if not manifest.core and manifest.name != plugin_name:
            raise PluginError(
                f"plugin {plugin_name!r}: manifest name {manifest.name!r} differs from its entry-point name"
            )
        if manifest.name in manifests:
            raise PluginError(f"plugin {manifest.name!r}: another plugin already uses this name")
        try:
            compatible = SpecifierSet(manifest.requires).contains(API_VERSION)
        except InvalidSpecifier as exc:
            raise PluginError(
                f"plugin {manifest.name!r}: requires {manifest.requires!r} is not a version range"
            ) from exc
        if not compatible:
            raise PluginError(
                f"plugin {manifest.name!r}: requires core API {manifest.requires}, this Cunwu provides {API_VERSION}"
            )
        manifests[manifest.name] = manifest
        objects[manifest.name] = pm.get_plugin(plugin_name)
    for name in config.enabled:
        if name not in manifests:
            raise PluginError(f"plugin {name!r}: it has no manifest() hook")
    by_plugin_name = {pm.get_name(obj): name for name, obj in objects.items()}

    permissions: dict[str, Permission] = {}
    for name, manifest in manifests.items():
        for permission in manifest.permissions:
            if permission.name in permissions:
                raise PluginError(f"plugin {name!r}: permission {permission.name!r} is already defined")
            if not manifest.core and not permission.name.startswith(f"{name}."):
                raise PluginError(f"plugin {name!r}: permission {permission.name!r} must start with '{name}.'")
            permissions[permission.name] = permission

    models: dict[str, list[type]] = {name: [] for name in manifests}
    for plugin_name, returned in call_hook(pm, "register_models", load_order=True):
        owner = by_plugin_name[plugin_name]
        prefix = manifests[owner].prefix
        for model in returned or []:
            table = getattr(model, "__tablename__", None)
            if not isinstance(table, str) or not table.startswith(prefix):
                raise PluginError(
                    f"plugin {owner!r}: table {table!r} of {model.__name__} is outside its prefix {prefix!r}"
                )
            models[owner].append(model)
    tables = [t for ms in models.values() for t in (m.__tablename__ for m in ms)]  # type: ignore[attr-defined]
    clashes = sorted({t for t in tables if tables.count(t) > 1})
    if clashes:
        raise PluginError(f"tables registered twice: {', '.join(clashes)}")

    settings = _check_settings(config, manifests)
    return PluginSet(pm, manifests, objects, models, permissions, settings, enabled=list(config.enabled))


#: What hooks usually answer: never awaitable, so `resolve` skips `inspect.isawaitable` (its `Awaitable` check is
#: an ABC lookup; a page calls ~15 hooks of ~8 plugins each).
_PLAIN = frozenset({type(None), list, tuple, dict, str, bool, int})


async def _await(awaitable: Any) -> Any:
    return await awaitable


def resolve(result: Any) -> Any:
    """Hooks may be `async def`: wait for an awaitable result from sync code.

    With no event loop in this thread (a worker thread, the CLI) the coroutine runs on a fresh loop here; called
    from inside a running loop (e.g. an exception handler), it runs on a loop of its own in a helper thread. So an
    async hook must not rely on objects bound to the application's loop.
    """
    if type(result) in _PLAIN or not inspect.isawaitable(result):
        return result
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(result))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _await(result)).result()


def tracing_hooks() -> bool:
    """`CUNWU_TRACE_HOOKS=1` logs every hook call (hook, plugin, milliseconds) on the `cunwu.hooks` logger, through
    the same setup as the request logs (`cunwu.logs`)."""
    return os.environ.get("CUNWU_TRACE_HOOKS", "") not in ("", "0")


def call_hook(pm: pluggy.PluginManager, hook_name: str, /, *, only: object | None = None,
              load_order: bool = False, **kwargs: Any) -> list[tuple[str, Any]]:
    """The one way Cunwu calls a hook: `(plugin name, answer)` for each implementation, None answers kept.

    Each implementation is called on its own (so the answer is known per plugin and can be timed) with the
    arguments it names; an `async def` implementation is awaited (`resolve`). The order is pluggy's (the last
    registered plugin first) unless `load_order` asks for registration order (core areas first, then the site's
    plugins as `site.enabled` lists them). `only` restricts the call to one plugin object. With
    `CUNWU_TRACE_HOOKS=1` every call is logged with its duration.
    """
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    ordered = impls if load_order else reversed(impls)
    trace = tracing_hooks()
    if trace:
        configure_logging()
    answers: list[tuple[str, Any]] = []
    for impl in ordered:
        if only is not None and impl.plugin is not only:
            continue
        # positionally, in the order the implementation names them, as pluggy itself calls implementations
        arguments = [kwargs[name] for name in impl.argnames]
        if not trace:
            answers.append((impl.plugin_name, resolve(impl.function(*arguments))))
            continue
        started = time.perf_counter()
        answer = resolve(impl.function(*arguments))
        ms = round((time.perf_counter() - started) * 1000, 3)
        _TRACE.info("hook %s plugin %s %.3f ms", hook_name, impl.plugin_name, ms,
                    extra={"hook": hook_name, "plugin": impl.plugin_name, "ms": ms})
        answers.append((impl.plugin_name, answer))
    return answers


def flatten_answers(answers: Iterable[tuple[str, Any]]) -> list[Any]:
    """The answers of a list-returning hook as one list: lists and tuples are spread, Nones dropped."""
    flat: list[Any] = []
    for _plugin, answer in answers:
        if answer is None:
            continue
        if isinstance(answer, list | tuple):
            flat.extend(answer)
        else:
            flat.append(answer)
    return flat

