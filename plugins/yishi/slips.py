"""The A4 sheet of one-time code slips (used by the web page and the CLI alike, so it needs no request)."""

from __future__ import annotations

from collections.abc import Sequence

import segno
from markupsafe import Markup

from cunwu.api import Site

from .models import Project
from .services import CodeSlip


def ballot_path(project: Project) -> str:
    return f"/v/{project.village_code}/p/yishi/projects/{project.id}/ballot"


def slips_html(site: Site, project: Project, slips: Sequence[CodeSlip], base: str) -> str:
    """A standalone HTML page, 12 slips per A4 sheet; each slip carries the ballot page's address and, when the
    address is known (`base`: the site's `public_url`, else the address the clerk is using), its QR code."""
    url = base + ballot_path(project)
    qr = Markup(segno.make(url, error="m").svg_inline(scale=2)) if base else Markup("")
    village = site.village(project.village_code)
    return str(site.templates.get_template("yishi/slips.html").render(
        project=project, slips=slips, url=url, qr=qr, village=village,
    ))
