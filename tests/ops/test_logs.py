"""The request id (taken when sane, else made), on the response and in every JSON log line; the task id in task logs."""

from __future__ import annotations

import io
import json
import logging
import sys
import uuid

import pytest
from celery import shared_task
from django.conf import settings

from ops.logs import ContextFilter, JsonFormatter, TextFormatter, carry_request_id, request_id
from ops.middleware import incoming_or_new

from .fresh import fresh_settings

task_logger = logging.getLogger("tests.ops.task")


@shared_task(name="tests.ops.log_in_a_task")
def log_in_a_task(word: str) -> str:
    task_logger.warning("in a task: %s", word)
    return word


@pytest.fixture
def log_lines():
    """The configured console handler (its filter and formatter as LOGGING says), writing into a buffer."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, ContextFilter) for f in h.filters))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lambda: [line for line in buffer.getvalue().splitlines() if line]
    finally:
        handler.setStream(previous)


def test_the_logs_are_json_without_debug():
    assert settings.DEBUG is False
    assert settings.LOG_FORMAT == "json"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"


@pytest.mark.parametrize(
    "value",
    ["abcdefgh", "0f8c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6", "Root-1-5f84c7a1-aws-alb-trace-id", "A" * 64],
)
def test_a_sane_incoming_id_is_kept(value):
    assert incoming_or_new(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "short",
        "A" * 65,
        "abc def ghi",
        "abcdefgh\nX-Evil: 1",
        "<script>alert(1)</script>",
        "ä" * 10,
        "abcd_efgh",
    ],
)
def test_anything_else_gets_a_fresh_uuid(value):
    made = incoming_or_new(value)
    assert made != value
    assert str(uuid.UUID(made, version=4)) == made


@pytest.mark.django_db
def test_the_request_id_is_echoed_and_in_the_json_log_line(client, settings, log_lines):
    settings.METRICS_TOKEN = "a-token-for-the-test-only"
    response = client.get("/metrics", HTTP_X_REQUEST_ID="lb-trace-12345678")  # 401: Django logs a warning
    assert response.status_code == 401
    assert response["X-Request-ID"] == "lb-trace-12345678"

    records = [json.loads(line) for line in log_lines()]
    unauthorised = [r for r in records if r["logger"] == "django.request"]
    assert unauthorised, records
    assert unauthorised[0]["request_id"] == "lb-trace-12345678"
    assert unauthorised[0]["level"] == "WARNING"
    assert unauthorised[0]["message"] == "Unauthorized: /metrics"
    assert unauthorised[0]["status_code"] == 401

    # after the request, a log line belongs to no request
    logging.getLogger("tests.ops").warning("between requests")
    assert "request_id" not in json.loads(log_lines()[-1])


@pytest.mark.django_db
def test_a_made_id_differs_per_request_and_a_bad_one_is_replaced(client):
    first = client.get("/gezondheid/live/")["X-Request-ID"]
    second = client.get("/gezondheid/live/")["X-Request-ID"]
    assert first != second
    bad = client.get("/gezondheid/live/", HTTP_X_REQUEST_ID="x" * 200)["X-Request-ID"]
    assert bad != "x" * 200 and uuid.UUID(bad)
    assert request_id.get() == ""


def test_a_task_log_line_carries_the_task_id(log_lines):
    result = log_in_a_task.apply(args=["hallo"])
    assert result.get() == "hallo"
    line = json.loads(log_lines()[-1])
    assert line["message"] == "in a task: hallo"
    assert line["task_id"] == result.id
    assert line["task_name"] == "tests.ops.log_in_a_task"
    # outside the task, no task id
    logging.getLogger("tests.ops").warning("outside")
    assert "task_id" not in json.loads(log_lines()[-1])


def test_a_task_queued_during_a_request_carries_its_id(log_lines):
    token = request_id.set("req-of-the-queue-1")
    try:
        headers = {}
        carry_request_id(headers=headers)
        assert headers == {"request_id": "req-of-the-queue-1"}
        result = log_in_a_task.apply(args=["samen"])  # in-process (the embedded default): the same context
    finally:
        request_id.reset(token)
    line = json.loads(log_lines()[-1])
    assert (line["request_id"], line["task_id"]) == ("req-of-the-queue-1", result.id)
    headers = {}
    carry_request_id(headers=headers)  # outside a request nothing is added
    assert headers == {}


def test_the_json_line_carries_the_exception_and_the_extras():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("letter",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.event_id = 12
    ContextFilter().filter(record)
    token = request_id.set("req-12345678")
    try:
        ContextFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed letter"
    assert line["request_id"] == "req-12345678"
    assert "ValueError: boom" in line["exception"]
    assert line["event_id"] == 12
    assert line["time"].endswith("+00:00")


def test_the_text_line_of_make_run():
    record = logging.LogRecord("applications.tasks", logging.WARNING, __file__, 1, "broker down", (), None)
    record.request_id, record.task_id = "req-12345678", ""
    assert "applications.tasks [req-12345678] broker down" in TextFormatter().format(record)
    bare = logging.LogRecord("x", logging.WARNING, __file__, 1, "plain", (), None)  # a record the filter missed
    assert TextFormatter().format(bare).endswith("WARNING x plain")


def test_make_run_logs_text_and_a_wrong_format_is_refused():
    assert fresh_settings("LOG_FORMAT", DEBUG="1") == ["text"]
    assert fresh_settings("LOG_FORMAT", DEBUG="1", LOG_FORMAT="json") == ["json"]
    wrong = fresh_settings("LOG_FORMAT", LOG_FORMAT="xml")
    assert wrong.returncode != 0
    assert "LOG_FORMAT must be json or text" in wrong.stderr
