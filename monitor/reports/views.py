"""Reports as JSON-ready data: codes and ISO 8601 times, for `--json` and the web console."""

from __future__ import annotations

from typing import Any

from monitor.display import machine_time
from monitor.store.schema_reports import Report, ReportEvent


def report_view(report: Report) -> dict[str, Any]:
    return {
        "id": report.id,
        "finding_id": report.finding_id,
        "brand": report.brand,
        "channel": report.channel,
        "channel_kind": report.channel_kind,
        "status": report.status,
        "approved_by": report.approved_by,
        "approved_at": machine_time(report.approved_at),
        "submitted_at": machine_time(report.submitted_at),
        "submitted_by": report.submitted_by,
        "destination": report.destination,
        "reference": report.reference,
        "remote_state": report.remote_state,
        "answer": report.answer,
        "next_follow_up_at": machine_time(report.next_follow_up_at),
        "taken_down_at": machine_time(report.taken_down_at),
    }


def event_view(event: ReportEvent) -> dict[str, Any]:
    return {
        "action": event.action,
        "old_status": event.old_status,
        "new_status": event.new_status,
        "actor": event.actor,
        "note": event.note,
        "at": machine_time(event.created_at),
    }
