"""Markdown to safe HTML, and a safe line diff between two versions of a notice."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is not passed through; nh3 then removes anything the renderer might still let in.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])

_TAGS = {"p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "blockquote",
         "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(source: str) -> Markup:
    """Markdown (CommonMark + tables) as sanitised HTML. Headings start at h2: the page's h1 is the title."""
    html = _md.render(source or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    cleaned = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                        link_rel="noopener noreferrer nofollow")
    return Markup(cleaned)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add" | "del" | "same" | "gap"
    text: str


def diff_versions(old: str, new: str, context: int = 2) -> list[DiffLine]:
    """Line diff of two versions' text (title + body); the template escapes every line."""
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", text) for text in matcher.a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("del", text) for text in matcher.a[i1:i2]]
            if tag in ("replace", "insert"):
                lines += [DiffLine("add", text) for text in matcher.b[j1:j2]]
    return lines
