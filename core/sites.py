"""Load and validate `sites/<slug>/site.toml`, and find site and theme folders.

Sites live in `./sites` of the working directory (or `CUNWU_SITES_DIR`, or `cunwu --sites DIR`), so a county keeps
its own folder and upgrades the package. Themes are looked up in `./themes` of the working directory, then among the
bundled ones. The bundled default theme and demo site travel inside the package (see `bundled_dir`).

A mistake stops start-up with `SiteConfigError`, whose message names the file, the key and what was expected.
Plugin settings (`[plugins.<name>]`) and core settings (`[core.<area>]`) are checked later, against the manifests of
the plugin manager built for the site (see `cunwu.plugins`).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


def bundled_dir(kind: str) -> Path:
    """`themes` or `sites` shipped with Cunwu: inside the installed package (pyproject maps the checkout's top-level
    folders to `cunwu/bundled/`), or the checkout's own top-level folder under an editable install."""
    packaged = Path(__file__).resolve().parent / "bundled" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / kind


BUNDLED_SITES_DIR = bundled_dir("sites")
BUNDLED_THEMES_DIR = bundled_dir("themes")


def sites_dir() -> Path:
    """Where this process looks for sites: `CUNWU_SITES_DIR`, else `./sites` of the working directory."""
    return Path(os.environ.get("CUNWU_SITES_DIR") or Path.cwd() / "sites")


def themes_dirs() -> list[Path]:
    """Theme folders in lookup order: `./themes` of the working directory, then the bundled themes."""
    local = Path.cwd() / "themes"
    return [local, BUNDLED_THEMES_DIR] if local.resolve() != BUNDLED_THEMES_DIR.resolve() else [BUNDLED_THEMES_DIR]


class SiteConfigError(Exception):
    """A site.toml (or a plugin's settings in it) is wrong. The message says where and what was expected."""


class VillageEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\d{12}$", description="12-digit statistical division code")
    name: str = Field(min_length=1)
    township: str = Field(min_length=1)


class SiteSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    name_en: str = ""
    division_code: str = Field(pattern=r"^\d{6}$", description="6-digit county code (GB/T 2260)")
    hosts: list[str] = []
    theme: str = "default"
    locale: str = "zh_CN"
    enabled: list[str] = []
    database: str | None = None
    supervision_phone: str = ""
    public_url: str = ""
    public_url: str = Field(default="", pattern=r"^(https?://[^/\s]+)?$",
                            description="The address villagers use (e.g. https://cunwu.suning.gov.cn): links and QR "
                                        "codes on printed slips and posters; empty = the address of the request")

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("zh_CN", "en"):
            raise ValueError("locale must be 'zh_CN' or 'en'")
        return value


class SiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: SiteSection
    villages: list[VillageEntry] = Field(min_length=1)
    core: dict[str, dict[str, Any]] = {}
    plugins: dict[str, dict[str, Any]] = {}


@dataclass
class SiteConfig:
    slug: str
    path: Path
    name: str
    name_en: str
    division_code: str
    hosts: list[str]
    theme: str
    locale: str
    enabled: list[str]
    villages: list[VillageEntry]
    database_url: str
    supervision_phone: str = ""
    public_url: str = ""
    core_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.path / "site.toml"

    def village(self, code: str) -> VillageEntry | None:
        return next((v for v in self.villages if v.code == code), None)


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"])
    return f"{location}: {error['msg']} (got {error.get('input')!r})"


def format_validation_error(file: Path, section: str, exc: ValidationError) -> str:
    lines = [f"{file}: {section}" if section else f"{file}:"]
    lines += [f"  - {_describe(err)}" for err in exc.errors()]
    return "\n".join(lines)


def default_database_url(slug: str) -> str:
    """`CUNWU_DATABASE_URL` may hold `{slug}`; otherwise a SQLite file under `CUNWU_DATA_DIR` (default ./var)."""
    template = os.environ.get("CUNWU_DATABASE_URL")
    if template:
        return template.replace("{slug}", slug)
    data_dir = Path(os.environ.get("CUNWU_DATA_DIR", "var")).resolve()
    return f"sqlite:///{data_dir / (slug + '.sqlite3')}"


def load_site(path: Path) -> SiteConfig:
    file = path / "site.toml"
    if not file.is_file():
        raise SiteConfigError(f"{file}: no site.toml in this site folder")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:  # a GBK-saved or binary file: say so instead of a traceback
        raise SiteConfigError(f"{file}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SiteConfigError(f"{file}: not valid TOML: {exc}") from exc
    try:
        parsed = SiteFile.model_validate(raw)
    except ValidationError as exc:
        raise SiteConfigError(format_validation_error(file, "", exc)) from exc
    codes = [v.code for v in parsed.villages]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise SiteConfigError(f"{file}: villages: duplicate village code(s) {', '.join(duplicates)}")
    outside = [v.code for v in parsed.villages if not v.code.startswith(parsed.site.division_code)]
    if outside:
        raise SiteConfigError(
            f"{file}: villages: code(s) {', '.join(outside)} do not start with the county code "
            f"site.division_code = {parsed.site.division_code!r}"
        )
    slug = path.name
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", slug):
        raise SiteConfigError(f"{path}: site folder name must be lower-case letters, digits, '-' or '_'")
    return SiteConfig(
        slug=slug,
        path=path,
        name=parsed.site.name,
        name_en=parsed.site.name_en,
        division_code=parsed.site.division_code,
        hosts=parsed.site.hosts,
        theme=parsed.site.theme,
        locale=parsed.site.locale,
        enabled=parsed.site.enabled,
        villages=parsed.villages,
        database_url=parsed.site.database or default_database_url(slug),
        supervision_phone=parsed.site.supervision_phone,
        public_url=parsed.site.public_url,
        core_settings=parsed.core,
        plugin_settings=parsed.plugins,
    )


def discover_sites(sites_dir: Path, only: list[str] | None = None) -> list[SiteConfig]:
    if not sites_dir.is_dir():
        raise SiteConfigError(
            f"{sites_dir}: no sites folder here; run in the folder that holds sites/, set CUNWU_SITES_DIR or pass "
            f"--sites, or create a site with `cunwu site new`"
        )
    folders = sorted(p for p in sites_dir.iterdir() if (p / "site.toml").is_file())
    if only:
        missing = sorted(set(only) - {p.name for p in folders})
        if missing:
            raise SiteConfigError(f"{sites_dir}: no site folder named {', '.join(missing)}")
        folders = [p for p in folders if p.name in only]
    if not folders:
        raise SiteConfigError(f"{sites_dir}: no site folders with a site.toml")
    configs = [load_site(p) for p in folders]
    check_hosts(configs)
    return configs


def check_hosts(configs: list[SiteConfig]) -> None:
    """Refuse a host named by two sites. Host names are case-insensitive (RFC 4343) and requests are matched in
    lower case, so `Demo.example` and `demo.example` are the same host: loading both would leave one unreachable."""
    seen: dict[str, tuple[str, str]] = {}
    for config in configs:
        for host in config.hosts:
            key = host.strip().lower()
            if key in seen:
                slug, first = seen[key]
                hint = f" (as {first!r}: host names do not differ by case)" if first != host else ""
                raise SiteConfigError(f"{config.file}: site.hosts: host {host!r} is already used by site {slug}{hint}")
            seen[key] = (config.slug, host)
