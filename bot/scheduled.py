"""Every periodic job socialbot runs: one place to add a new one.

Each is a named :class:`~bot.scheduler.Job`; ``socialbot serve`` runs them on their
schedule (in one process), and ``socialbot jobs run NAME`` runs one from cron instead.
"""

from __future__ import annotations

import datetime as dt

from bot.digest import DigestService
from bot.escalations import EscalationService
from bot.intake import Intake
from bot.lessons import Lessons
from bot.outbox import Outbox
from bot.pilots import PilotService
from bot.privacy import Privacy
from bot.scheduler import Job


def scheduled_jobs(
    outbox: Outbox,
    intake: Intake,
    privacy: Privacy,
    escalations: EscalationService,
    pilots: PilotService,
    lessons: Lessons,
    digest: DigestService,
    lang: str,
    reminder_cron: str = "0 9 * * *",
) -> list[Job]:
    """The jobs, in the order ``socialbot jobs list`` shows them."""

    def outbox_sweep(slot: dt.datetime) -> str:
        requeued, purged = outbox.sweep()
        answered = intake.purge()
        return (
            f"{requeued} stuck message(s) re-queued, {purged} delivered message(s) and "
            f"{answered} answered request(s) purged"
        )

    def escalation_deadlines(slot: dt.datetime) -> str:
        return f"{escalations.due_reminders()} unacknowledged escalation(s) re-notified"

    def pilot_reminders(slot: dt.datetime) -> str:
        done = pilots.remind()
        return (
            f"{done.reminded} reminder(s) to owners of quiet pilots, "
            f"{done.blocked_reported} blocked pilot(s) reported to the conversation manager"
        )

    return [
        Job(
            name="outbox-sweep",
            cron="*/5 * * * *",
            run=outbox_sweep,
            description="Re-queue messages left sending by a stopped process; purge messages "
            "delivered more than 30 days ago and requests answered more than a day ago.",
            missed="run_once",
        ),
        Job(
            name="privacy-retention",
            cron="30 3 * * *",
            run=lambda slot: privacy.expire().summary(),
            description="Delete questions, answers, feedback and other personal data older "
            "than SOCIALBOT_RETENTION_DAYS; the weekly counts are kept, without user ids.",
            missed="run_once",
        ),
        Job(
            name="escalation-deadlines",
            cron="* * * * *",
            run=escalation_deadlines,
            description="Re-notify the conversation managers of escalations not acknowledged "
            "by their deadline (then the backup too; at most 3 times).",
            missed="run_once",
        ),
        Job(
            name="pilot-reminders",
            cron=reminder_cron,
            run=pilot_reminders,
            description="Remind the owner of each pilot without an update for PILOT_UPDATE_DAYS "
            "days (once per quiet spell), and report pilots blocked for more than 3 days to the "
            "conversation manager. Daily at PILOT_REMINDER_TIME.",
            missed="run_once",
        ),
        Job(
            name="lesson-offers",
            cron="* * * * *",
            run=lambda slot: f"{lessons.offer_pending()} lesson draft(s) offered for review",
            description="Offer lesson drafts from any source (a resolved escalation, a closed "
            "pilot) to the conversation manager by DM, once each.",
            missed="run_once",
        ),
        Job(
            name="kb-stale",
            cron="0 10 * * 1",
            run=lambda slot: f"{lessons.remind_stale(lang)} stale-entry reminder(s) enqueued",
            description="DM each owner (or the conversation manager) the entries not verified "
            "for KB_STALE_DAYS days, with a Still correct button; once per person per week.",
            missed="run_once",
        ),
        Job(
            name="weekly-digest",
            cron=digest.schedule,
            run=digest.run,
            description="Post the weekly digest to DIGEST_CHANNEL (and subscribers by DM) at "
            "DIGEST_SCHEDULE; once per week and channel; a missed one once, late, until the "
            "next is due.",
            missed="run_once",
        ),
    ]
