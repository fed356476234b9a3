"""/pilot: the command router, its modals and their submissions, and the "Update now"
button. Each listener acks, extracts plain values, calls one bot.pilots function and
renders with handlers.pilot_blocks; a modal opens on threads of its own at once (a trigger
expires after 3 s) and is filled in afterwards."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.errors import BotError, NotFound
from bot.i18n import t
from bot.pilot_report import outcome_text
from bot.pilots import MAX_KPIS, STATUS_WORDS, CloseForm, FormErrors, Pilot, PilotForm, UpdateForm
from bot.services import Services
from handlers import pilot_blocks as pb
from handlers.blocks import text_blocks, typed_text
from handlers.failures import log_failure

KPIS = range(1, MAX_KPIS + 1)


def register(app: App, services: Services) -> None:
    """Wire /pilot, its modals and its buttons."""
    pilots, settings = services.pilots, services.settings
    lang, zone, managers = settings.default_lang, settings.zone, settings.conversation_managers
    modal_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pilot-modal")

    def later(work: Callable[[], object], who: str) -> None:
        """Run ``work`` (a views.open or views.update) after the ack, on a modal thread."""

        def run() -> None:
            try:
                work()
            except Exception as error:  # noqa: BLE001 - a modal has no reply channel; logged
                log_failure(f"pilot modal for {who}", error)

        modal_threads.submit(run)

    def new(ack: Ack, user: str, rest: str, trigger: str, client: WebClient) -> None:
        ack()

        def open_then_fill_in() -> None:
            manager = user in managers
            opened = client.views_open(trigger_id=trigger, view=pb.new_modal(lang, user, manager))
            team = pilots.team_of(user)  # the defaults, once the modal is open
            if team:
                view = pb.new_modal(lang, user, manager, team)
                client.views_update(view_id=opened["view"]["id"], view=view)

        later(open_then_fill_in, user)

    def update(ack: Ack, user: str, rest: str, trigger: str, client: WebClient) -> None:
        if _quick(rest):
            done = pilots.quick_update(rest, f"command:{trigger}", user)
            _reply(ack, t("pilot_updated", lang, name=done.pilot.name))
            return
        chosen = pilots.find(rest, active_only=True) if rest else None
        choices = [] if chosen else pilots.changeable_by(user)
        if chosen is None and len(choices) == 1:  # the caller's only pilot
            chosen = choices[0]
        if chosen is not None:
            pilots.check_may_change(chosen, user)
        elif not choices:
            raise BotError(t("pilot_none_to_update", lang))
        ack()
        view = pb.update_modal(lang, chosen, choices)
        later(lambda: client.views_open(trigger_id=trigger, view=view), user)

    def close(ack: Ack, user: str, rest: str, trigger: str, client: WebClient) -> None:
        if not rest:
            raise BotError(t("pilot_name_usage", lang, command="close"))
        found = pilots.find(rest, active_only=True)
        pilots.check_may_change(found, user)
        ack()
        view = pb.close_modal(lang, found)
        later(lambda: client.views_open(trigger_id=trigger, view=view), user)

    def listing(ack: Ack, user: str, rest: str, trigger: str, client: WebClient) -> None:
        found = pilots.listing(rest.lower() or "mine", user, limit=pb.LIST_LIMIT)
        which = t(f"filter_{found.filter}", lang)
        text = t("pilot_list_title", lang, which=which, total=found.total)
        ack(text=text, blocks=pb.listing_blocks(found, lang, pilots.clock()))

    def show(ack: Ack, user: str, rest: str, trigger: str, client: WebClient) -> None:
        if not rest:
            raise BotError(t("pilot_name_usage", lang, command="show"))
        report = pilots.report(pilots.find(rest).id)
        ack(text=report.pilot.name, blocks=pb.report_blocks(report, lang, zone))

    def usage(ack: Ack, user: str, rest: str, trigger: str, client: WebClient) -> None:
        _reply(ack, t("pilot_help", lang))

    routes = {"new": new, "update": update, "close": close, "list": listing, "show": show,
              "help": usage, "hulp": usage, "": usage}  # fmt: skip

    @app.command("/pilot")
    def pilot(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        word, _, rest = typed_text(command.get("text") or "").partition(" ")
        route = routes.get(word.lower())
        if route is None:
            unknown = t("pilot_unknown_command", lang, word=word[:30])
            _reply(ack, f"{unknown}\n{t('pilot_help', lang)}")
            return
        try:
            route(ack, command["user_id"], rest.strip(), command.get("trigger_id") or "", client)
        except BotError as error:  # an unknown pilot, a malformed form, not allowed, ...
            _reply(ack, str(error))

    @app.view(pb.NEW_MODAL)
    def submit_new(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body["user"]["id"]
        try:
            made = pilots.create(_pilot_form(view), f"view:{view['id']}", user)
        except FormErrors as error:
            ack(response_action="errors", errors=_errors(error, view))
            return
        text = t("pilot_created", lang, name=made.name)
        ack(response_action="update", view=pb.done_modal(t("pilot_new_title", lang), text))

    @app.view(pb.UPDATE_MODAL)
    def submit_update(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user, values = body["user"]["id"], _values(view)
        try:
            pilot = pilots.get(_id(view.get("private_metadata") or values.get("pilot")))
            form = _update_form(values, pilot)
            done = pilots.update(pilot.id, form, f"view:{view['id']}", user)
        except BotError as error:  # a bad field; not allowed; closed meanwhile
            ack(response_action="errors", errors=_errors(error, view))
            return
        text = t("pilot_updated", lang, name=done.pilot.name)
        ack(response_action="update", view=pb.done_modal(t("pilot_update_title", lang), text))

    @app.view(pb.CLOSE_MODAL)
    def submit_close(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user, values = body["user"]["id"], _values(view)
        try:
            pilot = pilots.get(_id(view.get("private_metadata")))
            form = CloseForm(values.get("outcome", ""), _kpis(values, pilot),
                             values.get("lessons", ""))  # fmt: skip
            done = pilots.close(pilot.id, form, f"view:{view['id']}", user)
        except BotError as error:
            ack(response_action="errors", errors=_errors(error, view))
            return
        outcome = outcome_text(done.pilot.outcome, lang)
        text = t("pilot_closed", lang, name=done.pilot.name, outcome=outcome)
        ack(response_action="update", view=pb.done_modal(t("pilot_close_title", lang), text))

    @app.action(pb.UPDATE_NOW)
    def update_now(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user, trigger = body["user"]["id"], body.get("trigger_id")

        def open_update() -> None:
            try:
                found = pilots.get(_id(action.get("value")))
                pilots.check_may_change(found, user)
                view = pb.update_modal(lang, found)
            except BotError as error:  # e.g. closed since the reminder
                view = pb.done_modal(t("pilot_update_title", lang), str(error))
            client.views_open(trigger_id=trigger, view=view)

        later(open_update, user)

    @app.action(pb.PICK)
    def pick(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        chosen = pilots.get(_id((action.get("selected_option") or {}).get("value")))
        view, current = pb.update_modal(lang, chosen), body.get("view") or {}
        later(lambda: client.views_update(view_id=current.get("id"), view=view), chosen.owner)


def _id(value: object) -> int:
    """A pilot id from a button, menu or modal; one that is none is not found."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise NotFound(f"{text[:40]!r} is not a pilot id")
    return int(text)


def _quick(rest: str) -> bool:
    """Whether ``/pilot update <rest>`` is the quick form: a status word after the name."""
    words = rest.split()
    return any(w.lower().strip(":,.;-") in STATUS_WORDS for w in words[1:])


def _reply(ack: Ack, text: str) -> None:
    ack(text=text, blocks=text_blocks(text), response_type="ephemeral")


def _values(view: dict[str, Any]) -> dict[str, Any]:
    """A submitted view's values by block id: text, a date, a user, a selected option's
    value, or a list for multi-selects and checkboxes."""
    found: dict[str, Any] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for state in actions.values():
            kind = state.get("type")
            if kind in ("multi_static_select", "checkboxes"):
                found[block_id] = [o["value"] for o in state.get("selected_options") or []]
            elif kind == "multi_users_select":
                found[block_id] = list(state.get("selected_users") or [])
            elif kind in ("static_select", "radio_buttons"):
                found[block_id] = (state.get("selected_option") or {}).get("value") or ""
            else:
                found[block_id] = (
                    state.get("value")
                    or state.get("selected_date")
                    or state.get("selected_user")
                    or state.get("selected_conversation")
                    or ""
                )
    return found


def _pilot_form(view: dict[str, Any]) -> PilotForm:
    values = _values(view)
    return PilotForm(
        name=values.get("name", ""),
        owner=values.get("owner", ""),
        team=values.get("team", ""),
        platforms=tuple(values.get("platforms") or ()),
        goal=values.get("goal", ""),
        kpis=tuple(
            (values.get(f"kpi{n}", ""), values.get(f"kpi{n}_target", "")) for n in (1, 2, 3)
        ),
        budget=values.get("budget", ""),
        hours=values.get("hours", ""),
        start=values.get("start", ""),
        end=values.get("end", ""),
        flagship=bool(values.get("flagship")),
        members=tuple(values.get("members") or ()),
        channel_id=values.get("channel", ""),
        similar_ok=bool(values.get("similar")),
    )


def _kpis(values: dict[str, Any], pilot: Pilot) -> dict[str, str]:
    return {k.name: values.get(pb.kpi_field(pilot, k), "") for k in pilot.kpis}


def _update_form(values: dict[str, Any], pilot: Pilot) -> UpdateForm:
    return UpdateForm(
        status=values.get("status", ""),
        text=values.get("text", ""),
        hours=values.get("hours", ""),
        spent=values.get("spent", ""),
        kpi_values=_kpis(values, pilot),
        blocker=values.get("blocker", ""),
        blocker_user=values.get("blocker_user", ""),
    )


def _errors(error: BotError, view: dict[str, Any]) -> dict[str, str]:
    """The domain's errors by field, on the view's input blocks of the same id (an error
    on a field the view lacks, or one that is no field's, goes on its first input)."""
    inputs = [b["block_id"] for b in view.get("blocks") or [] if b.get("type") == "input"]
    fields = error.errors if isinstance(error, FormErrors) else {"": str(error)}
    errors: dict[str, str] = {}
    for name, text in fields.items():
        where = name if not inputs or name in inputs else inputs[0]
        errors[where] = f"{errors[where]} {text}" if where in errors else text
    return errors
