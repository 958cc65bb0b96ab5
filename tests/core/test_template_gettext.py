"""Templates' `_()` skips Jinja's formatting where it changes nothing (core/templating.py, docs/performance.md
issue #18 round 3): every kind of message must still come out exactly as Jinja's own newstyle gettext gives it."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import Environment, select_autoescape

from cunwu import i18n

SOURCE = ("{{ _('搜索') }}|{{ _('共 %(n)s 人', n=n) }}|{{ _('100%%') }}|{{ _('<b>安全</b>') }}"
          "|{{ _('第 %(page)s / %(pages)s 页', page=name, pages=2) }}|{% trans %}查询{% endtrans %}"
          "|{% trans count=n %}共 {{ count }} 人{% endtrans %}|{{ gettext('全部') }}"
          "|{{ ngettext('%(num)s 人', '%(num)s 人', n) }}")


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_translated_message_reads_as_jinja_renders_it(site_factory: Any, locale: str) -> None:
    reference = Environment(autoescape=select_autoescape(default_for_string=True), extensions=["jinja2.ext.i18n"])
    reference.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    values = {"n": 3, "name": "<i>x</i>"}
    token = i18n.current_locale.set(locale)
    try:
        ours = site_factory().templates.from_string(SOURCE).render(values)
        expected = reference.from_string(SOURCE).render(values)
    finally:
        i18n.current_locale.reset(token)
    assert ours == expected
    assert "&lt;i&gt;x&lt;/i&gt;" in ours and "100%|" in ours  # values escaped, %% read as %
    assert ("Search" if locale == "en" else "搜索") in ours
