"""Translations. Source strings are zh-CN (the default language); `locale/en/` is the English catalog.

The locale is per request (a context variable set by the web layer, or by the CLI); `_()` reads it at call time.
Each core area and plugin may ship `locale/<lang>/LC_MESSAGES/messages.po`; they are merged at start-up. Catalogs are
compiled in memory from the .po files, so there is no build step and no compiled file in the repository.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
current_locale: ContextVar[str] = ContextVar("cunwu_locale", default=DEFAULT_LOCALE)

_catalogs: dict[str, Translations] = {}
_loaded_dirs: set[Path] = set()


def _compile(po_file: Path) -> Translations:
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def load_catalogs(locale_dir: Path) -> None:
    """Merge the catalogs found under `locale_dir` (a core area's or a plugin's `locale/`)."""
    locale_dir = locale_dir.resolve()
    if locale_dir in _loaded_dirs or not locale_dir.is_dir():
        return
    _loaded_dirs.add(locale_dir)
    for po_file in sorted(locale_dir.glob("*/LC_MESSAGES/messages.po")):
        lang = po_file.parent.parent.name
        translations = _compile(po_file)
        if lang in _catalogs:
            _catalogs[lang].merge(translations)
        else:
            _catalogs[lang] = translations


_SOURCE = _gettext.NullTranslations()  # zh-CN is the source language: its "translation" is the message itself


def translations(locale: str | None = None) -> _gettext.NullTranslations:
    return _catalogs.get(locale or current_locale.get()) or _SOURCE


def active_locale() -> str:
    """The language this request is answered in ("zh_CN" or "en"): part of the key of anything cached per language."""
    return current_locale.get()


def gettext(message: str) -> str:
    """Translate a zh-CN source string into the current locale (no values; `_` takes %(name)s values)."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate with a plural form chosen by `n` in the current locale."""
    return translations().ngettext(singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """For strings defined at import time (labels, titles): translated when shown."""
    return LazyProxy(gettext, message, enable_cache=False)


def _(message: str, **values: object) -> str:
    """Translate now, in the current locale; `values` fill `%(name)s` placeholders."""
    text = gettext(message)
    return text % values if values else text


load_catalogs(Path(__file__).parent / "locale")
