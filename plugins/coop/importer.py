"""Import of a co-op's transactions from xlsx/csv, with the register import's conventions (docs/coop.md, "Import").

Always two steps: `preview()` checks every row and lists every problem by row and column, writing nothing;
`commit()` writes a clean preview in the caller's transaction, all rows or none. Each row is keyed by the SHA-256 of
its content, so importing the same file again (or a file that repeats rows already imported) adds nothing.
A row names a member by 成员编号 (member number); a row without one is a non-member trade and names its 交易对象.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, select

from cunwu.api import Actor, ImportFileError, Problem, Site, _, cell_text, parse_date, read_table

from . import services
from .models import Cooperative, Trade

#: header → key; the first header is the template's, the others are accepted aliases.
COLUMNS: dict[str, tuple[str, ...]] = {
    "traded_on": ("交易日期", "日期"),
    "member": ("成员编号", "社员编号"),
    "counterparty": ("交易对象", "非成员名称", "客户"),
    "product": ("产品", "品名", "产品名称"),
    "quantity": ("数量",),
    "unit": ("单位", "计量单位"),
    "amount": ("金额", "交易额", "金额（元）"),
}
REQUIRED = ("traded_on", "product", "quantity", "amount")


@dataclass
class TradePreview:
    rows: int
    problems: list[Problem]
    new: list[services.NewTrade] = field(default_factory=list)
    already: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.rows > 0


def _decimal(value: Any) -> Decimal:
    raw = cell_text(value).replace(",", "").replace("，", "")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not number.is_finite():
        raise ValueError(raw)
    return number


def preview(session: Session, coop: Cooperative, data: bytes, filename: str = "", max_rows: int = 50_000
            ) -> TradePreview:
    """Check a file of transactions against the rules and the roll; nothing is written."""
    table = read_table(data, filename)
    headers = [cell_text(h) for h in table.headers]
    where: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for index, header in enumerate(headers):
            if header in names:
                where[key] = index
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in where]
    if missing:
        raise ImportFileError(_("%(file)s 缺少列：%(cols)s", file=filename or _("文件"), cols="、".join(missing)))
    if len(table.rows) > max_rows:
        raise ImportFileError(_("%(file)s 有 %(n)s 行，超过一次最多 %(max)s 行", file=filename or _("文件"),
                                n=len(table.rows), max=max_rows))
    members = {m.number: m for m in services.roll(session, coop, include_exited=True)}
    by_id = {m.id: m for m in members.values()}
    known = set(session.exec(select(Trade.import_key).where(Trade.cooperative_id == coop.id,
                                                             col(Trade.import_key).is_not(None))).all())
    result = TradePreview(rows=0, problems=[])
    seen: set[str] = set()
    for offset, raw in enumerate(table.rows):
        row = offset + 2
        cells = {k: cell_text(raw[i]) if i < len(raw) else "" for k, i in where.items()}
        if not any(cells.values()):
            continue
        result.rows += 1
        problems: list[Problem] = []

        def bad(key: str, message: str, problems: list[Problem] = problems, row: int = row) -> None:
            problems.append(Problem(message, row=row, column=COLUMNS[key][0], file=filename or None))

        values: dict[str, Any] = {}
        for key, label in (("quantity", _("数量")), ("amount", _("金额"))):
            try:
                values[key] = _decimal(raw[where[key]])
            except ValueError:
                bad(key, _("%(what)s“%(v)s”不是数字", what=label, v=cells[key]))
        if "amount" in values and values["amount"] != values["amount"].quantize(Decimal("0.01")):
            bad("amount", _("金额最多两位小数（精确到分）"))
        if "quantity" in values and values["quantity"] != values["quantity"].quantize(Decimal("0.01")):
            bad("quantity", _("数量最多两位小数"))
        try:
            values["traded_on"] = parse_date(raw[where["traded_on"]])
        except (ValueError, TypeError):
            bad("traded_on", _("日期“%(v)s”无效（如 2025-03-01）", v=cells["traded_on"]))
        member_id = None
        if cells.get("member"):
            try:
                member = members.get(int(cells["member"]))
            except ValueError:
                member = None
            if member is None:
                bad("member", _("成员编号 %(n)s 不在本社成员名册中", n=cells["member"]))
            else:
                member_id = member.id
        if problems:
            result.problems.extend(problems)
            continue
        trade = services.NewTrade(product=cells["product"], quantity=values["quantity"], amount=values["amount"],
                                  traded_on=values["traded_on"], member_id=member_id,
                                  counterparty=cells.get("counterparty", ""), unit=cells.get("unit", ""))
        for problem in services.check_trade(session, coop, trade, by_id):  # type: ignore[arg-type]
            key = problem.field if problem.field in COLUMNS else "product"
            bad(key, problem.message)
        if problems:
            result.problems.extend(problems)
            continue
        digest = hashlib.sha256("\x1f".join([str(trade.traded_on), str(member_id or ""), trade.counterparty.strip(),
                                              trade.product.strip(), str(trade.quantity), trade.unit.strip(),
                                              str(trade.amount), str(row)]).encode()).hexdigest()
        if digest in known or digest in seen:
            result.already += 1
            continue
        seen.add(digest)
        result.new.append(services.NewTrade(**{**trade.__dict__, "import_key": digest}))
    return result


def commit(session: Session, site: Site, actor: Actor, coop: Cooperative, result: TradePreview) -> int:
    """Write a clean preview (all rows or none, in the caller's transaction)."""
    if not result.ok:
        raise services.CoopError(_("导入文件有问题，未写入任何数据"), result.problems)
    return services.add_trades(session, site, actor, coop, result.new) if result.new else 0


def template_xlsx() -> bytes:
    """The downloadable template: the headers (required ones in red), two example rows (a member's and a
    non-member's trade), every cell formatted as text, and a sheet of notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("交易")  # type: ignore[union-attr]
    sheet.append([names[0] for names in COLUMNS.values()])  # type: ignore[union-attr]
    for index, key in enumerate(COLUMNS, start=1):
        header = sheet.cell(row=1, column=index)  # type: ignore[union-attr]
        header.font = Font(bold=True, color="B00000" if key in REQUIRED else "000000")
        header.fill = PatternFill("solid", fgColor="F2F2F2")
        sheet.column_dimensions[header.column_letter].width = 14  # type: ignore[union-attr]
    sheet.append(["2025-03-01", "1", "", _("玉米"), "1200", _("公斤"), "2760.00"])  # type: ignore[union-attr]
    sheet.append(["2025-03-02", "", _("某粮贸公司"), _("玉米"), "500", _("公斤"), "1150.00"])  # type: ignore[union-attr]
    for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row):  # type: ignore[union-attr]
        for cell in row:
            cell.number_format = "@"  # text: Excel must not turn dates or amounts into something else
    notes = workbook.create_sheet(_("填写说明"))
    notes.append([_("列名"), _("必填"), _("说明")])
    notes.append([COLUMNS["traded_on"][0], _("是"), _("如 2025-03-01；已决算年度的交易不能再导入")])
    notes.append([COLUMNS["member"][0], _("否"), _("本社成员名册上的编号；与非成员的交易留空")])
    notes.append([COLUMNS["counterparty"][0], _("否"), _("与非成员交易时填写对方名称（成员与非成员分别核算）")])
    notes.append([COLUMNS["product"][0], _("是"), _("产品或服务名称")])
    notes.append([COLUMNS["quantity"][0], _("是"), _("大于 0，最多两位小数")])
    notes.append([COLUMNS["amount"][0], _("是"), _("元，精确到分")])
    notes.append(["", "", _("删除两行示例后填写；同一文件重复导入不会重复记账")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
