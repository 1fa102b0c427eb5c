"""The replay of the Omscholingsregeling's first opening reproduces the evaluation's figures."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction

from applications import audit
from applications.models import Application, Assessment, AuditEvent, Letter, Notification, Organisation
from demo import replay
from reporting.queries import kpi_report
from schemes.models import LedgerEntry

pytestmark = pytest.mark.django_db


def test_the_replay_reports_what_the_evaluation_found_and_warned_red_on_day_fourteen(catalogue):
    message = replay.load_replay()
    assert "142 aanvragen" in message

    report = kpi_report("scheme", "omscholing")
    assert report["applications"]["submitted"] == 142
    assert report["applications"]["granted"] == 99
    # the seven "incomplete" ones go through Awb 4:5: asked to supplement, not considered, not rejected
    assert report["applications"]["not_considered"] == replay.NOT_CONSIDERED == 7
    assert report["applications"]["rejected"] == 33 - 7
    assert report["applications"]["rejected"] + report["applications"]["withdrawn"] == 43 - 7
    assert report["organisations"] == {"granted": 58, "by_sector": {"ict": 30, "techniek": 28}}
    assert report["units"] == {**report["units"], "granted": 99, "target": 19000, "uptake_pct": 0.52}
    ict = report["units_by_occupation_sector"]["ict"]
    assert 0.55 <= ict / 99 <= 0.65  # about 60 % towards an ICT occupation
    assert set(report["rejected_by_reason"]) == {"not_eligible", "limits_exceeded", "other"}
    assert sum(report["rejected_by_reason"].values()) == 26

    # What became of the 99 trajecten the evaluation could not say (000:L1281): the replay makes up a
    # plausible course through the settlement, and the report marks it as made up.
    units = report["units"]
    assert units["requested"] == 142 and units["reported"] == 99
    assert 99 > units["started"] > units["completed"] == units["settled"] > 0
    assert units["cancelled"] == 99 - units["completed"]
    assert units["realised_pct"] == round(units["completed"] * 100 / 19000, 2) < units["uptake_pct"]
    funnel = [s["count"] for s in report["unit_funnel"]]
    assert funnel == [142, 99, units["started"], units["completed"], units["settled"]]
    flagged = report["illustrative"]
    assert flagged["note"] == "illustratief — niet uit de evaluatie" and flagged["batches"] == [replay.BATCH]
    made_up = {"units.started", "units.completed", "breakdowns.size_class", "rejected_by_reason"}
    assert made_up <= set(flagged["figures"])
    assert [s.get("illustrative", False) for s in report["unit_funnel"]] == [False, False, True, True, True]
    # the evaluation: SMEs hardly used the scheme (000:L1248–1250); the replay's companies are mostly large
    sizes = report["breakdowns"]["size_class"]
    assert sizes["large"]["submitted"] > sizes["sme"]["submitted"] + sizes["small"]["submitted"]
    # a settlement's cancelled trajecten no longer count towards the target: the closed opening's result
    result = report["early_warning"]["openings"][0]
    assert result["basis"] == "result" and result["projected_units"] == units["granted"] - units["cancelled"]

    # On 15 September 2021, day 14 of the window, the pace already pointed far below the target.
    early = kpi_report("scheme", "omscholing", "2021-09-15")["early_warning"]
    assert early["level"] == "red"
    assert 0 < early["projected_units"] < 9000 * 0.5

    # Everything carries 2021 dates and the demo marker.
    apps = Application.objects.filter(demo_batch=replay.BATCH)
    assert apps.count() == 142 and not apps.filter(is_demo=False).exists()
    assert not Organisation.objects.filter(applications__in=apps, is_demo=False).exists()
    years = {e.at.year for e in AuditEvent.objects.filter(application__in=apps).exclude(to_state="")}
    assert years <= {2021, 2022, 2023}  # the settlements follow the trajecten, which end in 2022 and early 2023
    assert {e.at.year for e in LedgerEntry.objects.filter(application__in=apps)} <= {2021, 2022, 2023}

    # No letters or e-mails for events of 2021.
    assert not Letter.objects.filter(application__in=apps).exists()
    assert not Notification.objects.filter(event__application__in=apps).exists()

    # A second run changes nothing and says so.
    events = AuditEvent.objects.count()
    assert "niets gewijzigd" in replay.load_replay()
    assert AuditEvent.objects.count() == events and Application.objects.filter(demo_batch=replay.BATCH).count() == 142


class _Undo(Exception):
    pass


def _fingerprint() -> list[tuple]:
    apps = Application.objects.filter(demo_batch=replay.BATCH)
    return sorted(
        (
            a.reference,
            a.state,
            a.amount_granted,
            a.organisation.kvk,
            a.submitted_at,
            tuple(a.units.values_list("occupation_sector", flat=True)),
        )
        for a in apps.select_related("organisation")
    )


def test_the_replay_is_the_same_every_time(catalogue):
    try:
        with transaction.atomic():
            replay.load_replay()
            first = _fingerprint()
            raise _Undo
    except _Undo:
        pass
    assert not Application.objects.filter(demo_batch=replay.BATCH).exists()
    replay.load_replay()
    assert _fingerprint() == first and len(first) == 142
    assert first[0][0].startswith("OMS-2021-")


def test_the_replay_waits_for_the_catalogue(db):
    assert "load_regelingen" in replay.load_replay()
    assert not Application.objects.exists()


def test_kpi_report_command_on_the_replay(catalogue, capsys):
    replay.load_replay()
    capsys.readouterr()
    call_command("kpi_report", "omscholing", "--scope", "scheme", "--as-of", "2021-09-15", "--format", "table")
    out = capsys.readouterr().out
    assert "vroegsignaal" in out and "rood" in out


def test_the_replay_dates_every_act_then_without_patching_the_services(catalogue, django_capture_on_commit_callbacks):
    """The services take the replay's moment as ``now=``, and ``side_effects_suppressed`` keeps the
    letters and e-mails of 2021 from being queued at all."""

    with django_capture_on_commit_callbacks() as callbacks:
        replay.load_replay()
    events = AuditEvent.objects.filter(application__demo_batch=replay.BATCH)
    assert {e.at.year for e in events} <= {2021, 2022, 2023}  # the last settlements fall in early 2023
    assert events.filter(action="declare_no_conflict").count() > 0
    declared = Assessment.objects.filter(application__demo_batch=replay.BATCH)
    assert {a.no_conflict_declared_at.year for a in declared} <= {2021, 2022, 2023}
    assert {a.updated_at.year for a in declared} <= {2021, 2022, 2023}
    assert callbacks == [] and not Letter.objects.exists()
    # outside the block the side effects are queued again
    assert audit.publishing() is True
