"""The pilots' tables as migration m007_pilots (branch ``pilots``) creates them, for tests
of what reads them before that branch is merged (the digest's pilots section)."""

from __future__ import annotations

from sqlite_utils import Database


def create_pilot_tables(db: Database) -> None:
    """Create ``pilots`` and ``pilot_updates`` with m007_pilots's columns (migrations now
    create them: then this does nothing)."""
    if db["pilots"].exists():
        return
    db.table("pilots").create(
        {
            "id": int,
            "key": str,
            "name": str,
            "name_key": str,
            "owner": str,
            "team": str,
            "platforms": str,
            "goal": str,
            "kpis": str,
            "budget_cents": int,
            "hours_estimated": float,
            "start_date": str,
            "end_date": str,
            "flagship": int,
            "channel_id": str,
            "status": str,
            "state": str,
            "spent_cents": int,
            "hours_spent": float,
            "kpi_values": str,
            "created_by": str,
            "created_at": str,
            "last_update_at": str,
            "blocked_since": str,
            "blocker": str,
            "warned_money": int,
            "warned_hours": int,
            "reminded_gap": str,
            "blocked_reported": str,
            "outcome": str,
            "lessons": str,
            "closed_at": str,
            "closed_by": str,
        },
        pk="id",
        not_null={"key", "name", "name_key", "owner", "state", "status", "created_at"},
        defaults={
            "state": "active",
            "status": "green",
            "spent_cents": 0,
            "hours_spent": 0.0,
            "flagship": 0,
            "warned_money": 0,
            "warned_hours": 0,
            "kpi_values": "{}",
        },
    )
    db.table("pilots").create_index(["key"], unique=True)
    db.table("pilots").create_index(["name_key"], unique=True)
    db.table("pilots").create_index(["state", "status"])
    db.table("pilot_updates").create(
        {
            "id": int,
            "key": str,
            "pilot_id": int,
            "kind": str,
            "status": str,
            "text": str,
            "hours": float,
            "spent_cents": int,
            "kpi_values": str,
            "blocker": str,
            "blocker_user": str,
            "outcome": str,
            "by_user": str,
            "created_at": str,
        },
        pk="id",
        not_null={"key", "pilot_id", "kind", "by_user", "created_at"},
        foreign_keys=[("pilot_id", "pilots", "id")],
    )
    db.table("pilot_updates").create_index(["key"], unique=True)
    db.table("pilot_updates").create_index(["pilot_id", "id"])
