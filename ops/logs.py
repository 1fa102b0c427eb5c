"""Log records that say which request or task they belong to, and a JSON formatter (stdlib only).

``ContextFilter`` puts the request id (set by ``ops.middleware.RequestIdMiddleware``)
and the id and name of the Celery task being run on every record; a task queued
during a request carries that request's id in a message header, so the worker's
lines about it name the request too. The
``LOGGING`` setting attaches it to the console handler, whose formatter is
``JsonFormatter`` (``LOG_FORMAT=json``, the default without ``DEBUG``) or a line of
text (``LOG_FORMAT=text``, ``make run``). Loaded while the settings are read:
nothing here may import a model.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging

from celery import current_task
from celery.signals import before_task_publish

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
HEADER = "request_id"  # the message header that carries it to a worker

# What every LogRecord has; anything else on a record came in through ``extra=`` and is logged too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_CONTEXT = ("request_id", "task_id", "task_name")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(context)s%(message)s"


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``task_id`` and ``task_name`` (empty outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        task = current_task
        request = getattr(task, "request", None) if task else None
        record.task_id = (getattr(request, "id", None) or "") if request else ""
        record.task_name = (getattr(task, "name", None) or "") if record.task_id else ""
        # in a worker, the id of the request that queued the task (the header below)
        queued_by = (getattr(request, HEADER, None) or "") if record.task_id else ""
        record.request_id = request_id.get() or (queued_by if isinstance(queued_by, str) else "")
        return True


@before_task_publish.connect(dispatch_uid="ops.logs.carry_request_id")
def carry_request_id(headers=None, **kwargs) -> None:
    """A task queued during a request carries the request's id to the worker."""
    rid = request_id.get()
    if rid and headers is not None:
        headers.setdefault(HEADER, rid)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the context, the exception, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _CONTEXT:
            value = getattr(record, name, "")
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in _CONTEXT and name not in entry:
                entry[name] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The line of text of ``make run``: time, level, logger, ``[request id task id]``, message."""

    def __init__(self, fmt: str = TEXT_FORMAT, *args, **kwargs):
        super().__init__(fmt, *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        copy = logging.makeLogRecord(vars(record))  # the other handlers see the record unchanged
        ids = [getattr(record, name, "") for name in ("request_id", "task_id")]
        copy.context = f"[{' '.join(i for i in ids if i)}] " if any(ids) else ""
        return super().format(copy)
