"""Background report jobs: the PDF report, with its progress on the ReportJob."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.files.base import ContentFile
from django.utils import timezone

from .models import ReportJob
from .pdf import render_pdf
from .queries import build_report, end_of_day, resolve_scope
from .queries.snapshots import catch_up

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=2, default_retry_delay=30, acks_late=True)
def render_report(self, job_id: int) -> None:
    """Idempotent: a job that is done is left alone."""
    job = ReportJob.objects.filter(pk=job_id).first()
    if job is None or job.status == ReportJob.Status.DONE:
        return
    try:
        _progress(job, ReportJob.Status.RUNNING, 10)
        scope = resolve_scope(job.scope, job.code)
        day = job.as_of or timezone.localdate()
        end = end_of_day(day)
        report = build_report(scope, day, end)
        _progress(job, ReportJob.Status.RUNNING, 50)
        content = render_pdf(report, scope, end)
        _progress(job, ReportJob.Status.RUNNING, 90)
        job.file.save(f"rapportage-{job.scope}-{job.code}-{day.isoformat()}-{job.pk}.pdf", ContentFile(content))
        job.status, job.progress, job.finished_at = ReportJob.Status.DONE, 100, timezone.now()
        job.save(update_fields=["file", "status", "progress", "finished_at"])
    except Exception as exc:
        logger.exception("report job %s failed", job_id)
        job.status, job.error, job.finished_at = ReportJob.Status.FAILED, str(exc)[:2000], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])


def _progress(job, status: str, progress: int) -> None:
    job.status, job.progress = status, progress
    job.save(update_fields=["status", "progress"])


@shared_task(acks_late=True)
def take_snapshots() -> int:
    """Nightly: the figures of every day up to yesterday (``queries.snapshots``). Safe to run twice."""
    return catch_up()
