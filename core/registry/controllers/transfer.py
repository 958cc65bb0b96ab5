"""The register in and out: the upload, preview and confirm of an import, the template, the xlsx/csv export.
"""


import json
import secrets
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException

from cunwu.clock import local_today
from cunwu.errors import DomainError, Problem
from cunwu.i18n import _
from cunwu.registry import exporter
from cunwu.registry.controllers.common import (
    UPLOAD_SECONDS,
    viewer,
)
from cunwu.registry.importer import ImportPreview, commit, preview, read_table, template_xlsx
from cunwu.runtime import Site
from cunwu.web import forms
from cunwu.web.forms import Multipart
from cunwu.web.render import actor_of, render, site_of

# --- import ---------------------------------------------------------------------------------------------------


@get("/import", opt={"permission": "registry.import"}, sync_to_thread=True,
     name="registry_import")
def import_page(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return render(request, "registry/import.html", {"errors": []})


@get("/import/template.xlsx", opt={"permission": "registry.import"},
     sync_to_thread=True)
def import_template(request: Request[Any, Any, Any], village_code: str) -> Response[bytes]:
    return Response(template_xlsx(), media_type=exporter.XLSX_TYPE,
                    headers={"Content-Disposition": exporter.attachment("户籍表导入模板.xlsx")})


def _run_preview(site: Site, village_code: str, data: bytes, filename: str) -> ImportPreview:
    settings = site.settings("registry")
    table = read_table(data, filename, max_rows=settings.import_max_rows,
                       max_columns=settings.import_max_columns)
    with site.db.read() as session:
        return preview(session, village_code, table, max_rows=settings.import_max_rows)


def _pack(meta: dict[str, Any], data: bytes) -> bytes:
    return json.dumps(meta, ensure_ascii=False).encode() + b"\n" + data


def _unpack(blob: bytes) -> tuple[dict[str, Any], bytes]:
    head, _sep, data = blob.partition(b"\n")
    return json.loads(head), data


@post("/import", opt={"permission": "registry.import"},
      request_max_body_size=256 * 1024 * 1024)
async def import_upload(request: Request[Any, Any, Any], village_code: str, data: Multipart) -> Response[Any]:
    """Keep the upload in the shared store under a random token (any worker can confirm it), then show the preview."""
    site = site_of(request)
    actor = actor_of(request)
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        return render(request, "registry/import.html", {"errors": [Problem(_("请选择要上传的文件"))]}, status_code=400)
    content = await upload.read()
    limit = site.settings("registry").upload_max_bytes
    if len(content) > limit:
        message = _("文件过大（%(size)s MB），上限为 %(max)s MB", size=round(len(content) / 2**20, 1),
                    max=round(limit / 2**20, 1))
        return render(request, "registry/import.html", {"errors": [Problem(message)]}, status_code=400)
    try:
        result = await anyio.to_thread.run_sync(_run_preview, site, village_code, content, upload.filename)
    except DomainError as exc:
        return render(request, "registry/import.html", {"errors": forms.problems(exc),
                                                        "filename": upload.filename}, status_code=400)
    token = secrets.token_urlsafe(24)
    if result.ok and not result.nothing_changes:
        meta = {"village": village_code, "user": actor.user_id, "filename": upload.filename}
        await site.store.with_namespace("uploads").set(token, _pack(meta, content), expires_in=UPLOAD_SECONDS)
    return render(request, "registry/import_preview.html", {"result": result, "token": token,
                                                            "filename": upload.filename},
                  status_code=200 if result.ok else 422)


@post("/import/{token:str}/confirm", opt={"permission": "registry.import"})
async def import_confirm(request: Request[Any, Any, Any], village_code: str, token: str) -> Response[Any]:
    """Check the kept file again (the register may have changed since the preview) and import it in one go."""
    site = site_of(request)
    actor = actor_of(request)
    store = site.store.with_namespace("uploads")
    blob = await store.get(token)
    if blob is None:
        return render(request, "registry/import.html", {"errors": [Problem(_("上传的文件已过期或已导入，请重新上传"))]},
                      status_code=410)
    meta, content = _unpack(blob)
    if meta.get("village") != village_code or meta.get("user") != actor.user_id:
        raise NotFoundException(_("记录不存在"))

    def run() -> ImportPreview:
        settings = site.settings("registry")
        table = read_table(content, meta["filename"], max_rows=settings.import_max_rows,
                           max_columns=settings.import_max_columns)
        with site.db.transaction() as session:
            result = preview(session, village_code, table, max_rows=settings.import_max_rows)
            if result.ok:
                commit(session, actor, result)
            return result

    try:
        result = await anyio.to_thread.run_sync(run)
    except DomainError as exc:
        return render(request, "registry/import.html", {"errors": forms.problems(exc)},
                      status_code=400)
    if not result.ok:
        return render(request, "registry/import_preview.html", {"result": result, "token": token,
                                                                "filename": meta["filename"]}, status_code=422)
    await store.delete(token)
    return render(request, "registry/import_done.html", {"result": result, "filename": meta["filename"]})


# --- export ---------------------------------------------------------------------------------------------------


def _export(request: Request[Any, Any, Any], village_code: str, fmt: str) -> Response[bytes]:
    site, _actor, full = viewer(request, village_code)
    with site.db.read() as session:
        rows = exporter.rows(session, village_code, full=full, mask_settings=site.settings("registry").mask)
    village = site.village(village_code)
    name = f"{village.name}户籍表_{local_today():%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        return Response(exporter.to_xlsx(rows), media_type=exporter.XLSX_TYPE,
                        headers={"Content-Disposition": exporter.attachment(name)})
    return Response(exporter.to_csv(rows), media_type="text/csv",
                    headers={"Content-Disposition": exporter.attachment(name)})


@get("/export.xlsx", opt={"permission": "registry.export"}, sync_to_thread=True)
def export_xlsx(request: Request[Any, Any, Any], village_code: str) -> Response[bytes]:
    return _export(request, village_code, "xlsx")


@get("/export.csv", opt={"permission": "registry.export"}, sync_to_thread=True)
def export_csv(request: Request[Any, Any, Any], village_code: str) -> Response[bytes]:
    return _export(request, village_code, "csv")


ROUTES = [
    import_page, import_template, import_upload, import_confirm, export_xlsx, export_csv,
]
