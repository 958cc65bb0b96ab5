"""Cunwu's logs: one setup for the `cunwu.*` loggers, and the structured fields every record may carry.

Records go to the `cunwu` logger's children (`cunwu.requests`: one line per request; `cunwu.hooks`: hook timings with
`CUNWU_TRACE_HOOKS=1`). `configure_logging()` gives the `cunwu` logger one stderr handler when nothing else was set
up (a bare server, the CLI); a deployment that configures logging itself (a `dictConfig`, a journald handler on the
root logger) keeps its own. `CUNWU_LOG_FORMAT=json` writes one JSON object a line for a log collector;
`CUNWU_LOG_LEVEL` (default INFO) sets the level. docs/operations.md, "Logs", says what is logged and what never is.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from typing import Any

#: The structured fields a record may carry (`logger.info(..., extra={...})`), in the order they are written.
FIELDS = ("request_id", "method", "path", "status", "ms", "site", "actor", "hook", "plugin")

ROOT = logging.getLogger("cunwu")


class KeyValueFormatter(logging.Formatter):
    """`2026-12-07T06:30:00Z INFO cunwu.requests GET /v/130926100201/ 200 · request_id=… status=200 ms=12.3 …`

    One line per request is on every answer's path (a warm board page costs ~250 µs), so the time stamp is written
    once a second, not per record."""

    def __init__(self) -> None:
        super().__init__()
        self.moment: tuple[int, str] = (-1, "")  # the second last written and its text

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if self.moment[0] != second:
            self.moment = (second, dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        values = record.__dict__
        fields = " ".join([f"{name}={_value(values[name])}" for name in FIELDS if name in values])
        line = f"{self.moment[1]} {record.levelname} {record.name} {record.getMessage()}"
        line = f"{line} · {fields}" if fields else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the structured fields present."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        data.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def _value(value: Any) -> str:
    if value is None or value == "":
        return "-"
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if " " in text or '"' in text else text


def configure_logging() -> logging.Logger:
    """Give the `cunwu` loggers a stderr handler and a level, unless the deployment set up logging already."""
    if not ROOT.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        json_lines = os.environ.get("CUNWU_LOG_FORMAT", "").lower() == "json"
        handler.setFormatter(JsonFormatter() if json_lines else KeyValueFormatter())
        ROOT.addHandler(handler)
        ROOT.propagate = False  # Litestar later gives the root logger a handler of its own: one line, not two
    if ROOT.level == logging.NOTSET:
        level = os.environ.get("CUNWU_LOG_LEVEL", "INFO").upper()
        ROOT.setLevel(level if level in logging.getLevelNamesMapping() else logging.INFO)
    return ROOT
