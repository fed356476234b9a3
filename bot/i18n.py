"""The message catalogue: every text socialbot writes, in Dutch and English."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "source": {
        "nl": "Bron: {title} ({id}) · eigenaar: {owner} · laatst nagekeken: {updated}",
        "en": "Source: {title} ({id}) · owner: {owner} · last verified: {updated}",
    },
    "owner_unknown": {"nl": "het social media team", "en": "the social media team"},
    "confidence": {
        "nl": "Zekerheid: {score:.2f} ({level})",
        "en": "Confidence: {score:.2f} ({level})",
    },
    "level_high": {"nl": "hoog", "en": "high"},
    "level_medium": {"nl": "gemiddeld", "en": "medium"},
    "level_low": {"nl": "laag", "en": "low"},
    "dont_know": {
        "nl": "Daar heb ik geen betrouwbaar antwoord op.",
        "en": "I don't have a reliable answer to that.",
    },
    "did_you_mean": {"nl": "Bedoelde je misschien:", "en": "Did you mean:"},
    "ask_cm_hint": {
        "nl": "Stel je vraag aan de conversatiemanager: in Slack met de knop "
        "'Vraag het de conversatiemanager'.",
        "en": "Ask the conversation manager: in Slack, use the 'Ask the conversation manager' "
        "button.",
    },
    "also_see": {"nl": "Zie ook:", "en": "See also:"},
    "empty_question": {
        "nl": "De vraag is leeg. Typ een vraag, bv. 'Wie mag er namens het merk posten?'",
        "en": "The question is empty. Type a question, e.g. 'Who may post for the brand?'",
    },
    # --- Slack -------------------------------------------------------------------------
    "usage": {
        "nl": "*Zo stel je een vraag aan socialbot*\n"
        "• `/ask <je vraag>`: alleen jij ziet het antwoord; met *Deel in kanaal* deel je het.\n"
        "• Noem @socialbot in een kanaal: het antwoord komt in een thread.\n"
        "• Stuur socialbot een direct bericht.\n"
        "Voorbeeld: `/ask Wie mag er namens het merk posten?`",
        "en": "*How to ask socialbot*\n"
        "• `/ask <your question>`: only you see the answer; *Share in channel* shares it.\n"
        "• Mention @socialbot in a channel: the answer goes in a thread.\n"
        "• Send socialbot a direct message.\n"
        "Example: `/ask Who may post on behalf of the brand?`",
    },
    "welcome": {
        "nl": "Graag gedaan! Heb je nog een vraag over social media, stel ze gerust.",
        "en": "Glad to help! Ask me anything else about our social media work.",
    },
    "slack_source": {
        "nl": "Bron: *{title}* · eigenaar: {owner} · laatst nagekeken: {updated}",
        "en": "Source: *{title}* · owner: {owner} · last verified: {updated}",
    },
    "slack_confidence": {
        "nl": "Zekerheid: {level} ({score:.0%})",
        "en": "Confidence: {level} ({score:.0%})",
    },
    "button_helpful": {"nl": "👍 Nuttig", "en": "👍 Helpful"},
    "button_not_helpful": {"nl": "👎 Niet nuttig", "en": "👎 Not helpful"},
    "button_ask_manager": {
        "nl": "Vraag het de conversatiemanager",
        "en": "Ask the conversation manager",
    },
    "button_share": {"nl": "Deel in kanaal", "en": "Share in channel"},
    "button_read_more": {"nl": "Lees meer", "en": "Read more"},
    "unsure": {
        "nl": "Ik ben niet zeker genoeg om je vraag te beantwoorden.",
        "en": "I'm not sure enough to answer your question.",
    },
    "no_match": {
        "nl": "Daar vind ik niets over in de kennisbank.",
        "en": "I can't find anything about that in the knowledge base.",
    },
    "manager_offer": {
        "nl": "De conversatiemanager helpt je graag verder.",
        "en": "The conversation manager is happy to help.",
    },
    "feedback_thanks": {
        "nl": "Bedankt voor je feedback!",
        "en": "Thanks for your feedback!",
    },
    "feedback_sorry": {
        "nl": "Bedankt, we gebruiken je feedback om de kennisbank te verbeteren. "
        "Wil je het aan de conversatiemanager vragen?",
        "en": "Thanks, we use your feedback to improve the knowledge base. "
        "Would you like to ask the conversation manager?",
    },
    "manager_forwarded_by": {
        "nl": "Doorgestuurd door <@{user}>.",
        "en": "Forwarded by <@{user}>.",
    },
    "manager_unreachable": {
        "nl": "Ik kon de conversatiemanager nu niet bereiken. Je verzoek is bewaard; probeer het "
        "later opnieuw, of spreek {managers} direct aan.",
        "en": "I couldn't reach the conversation manager just now. Your request was saved; try "
        "again later, or contact {managers} directly.",
    },
    "share_impossible": {
        "nl": "Ik kan in dit gesprek niet posten. Nodig mij uit in het kanaal, of kopieer het "
        "antwoord.",
        "en": "I can't post in this conversation. Invite me to the channel, or copy the answer.",
    },
    "manager_sent": {
        "nl": "Je vraag is doorgestuurd naar de conversatiemanager. Je krijgt een bericht.",
        "en": "Your question was sent to the conversation manager. You'll hear back.",
    },
    "manager_dm": {
        "nl": "*Vraag voor de conversatiemanager*\n<@{user}> vroeg in {channel}:\n{question}",
        "en": "*Question for the conversation manager*\n<@{user}> asked in {channel}:\n{question}",
    },
    "manager_best_guess": {
        "nl": "Beste gok van socialbot: *{title}* (`{id}`, zekerheid {score:.0%})",
        "en": "socialbot's best guess: *{title}* (`{id}`, confidence {score:.0%})",
    },
    "manager_no_guess": {
        "nl": "socialbot vond geen passend antwoord.",
        "en": "socialbot found no matching answer.",
    },
    "a_direct_message": {"nl": "een direct bericht", "en": "a direct message"},
    "shared_by": {
        "nl": "Gedeeld door <@{user}>: _{question}_",
        "en": "Shared by <@{user}>: _{question}_",
    },
    "action_failed": {
        "nl": "Sorry, dat lukte niet. Probeer het zo opnieuw.",
        "en": "Sorry, that did not work. Please try again in a moment.",
    },
    "late_answer": {
        "nl": "⏳ Sorry voor het wachten: je stelde deze vraag op {when}.",
        "en": "⏳ Sorry for the wait: you asked this on {when}.",
    },
    "intake_failed": {
        "nl": "Sorry, ik kan je vraag nu niet bewaren (een storing bij socialbot). Het team is "
        "gewaarschuwd; stel je vraag over een paar minuten opnieuw.",
        "en": "Sorry, I can't store your question right now (a fault at socialbot's end). The "
        "team has been alerted; please ask again in a few minutes.",
    },
    "ask_failed": {
        "nl": "Sorry, er ging iets mis bij het beantwoorden van je vraag. Probeer het zo opnieuw; "
        "lukt het dan nog niet, vraag het de conversatiemanager.",
        "en": "Sorry, something went wrong while answering your question. Please try again in a "
        "moment; if it keeps failing, ask the conversation manager.",
    },
    "not_found": {
        "nl": "Dat item bestaat niet (meer). Probeer je vraag opnieuw te stellen.",
        "en": "That item no longer exists. Please ask your question again.",
    },
    "home_title": {"nl": "socialbot", "en": "socialbot"},
    "home_intro": {
        "nl": "Ik ben de social media consultant van het bedrijf. Ik beantwoord vragen uit de "
        "kennisbank van het social media team, in het Nederlands en het Engels, met de bron "
        "erbij. Weet ik het niet zeker, dan breng ik je met één klik bij de "
        "conversatiemanager.",
        "en": "I'm the company's social media consultant. I answer questions from the social "
        "media team's knowledge base, in Dutch and English, with the source. When I'm not "
        "sure, one click takes you to the conversation manager.",
    },
    "home_ask": {"nl": "Stel een vraag", "en": "Ask a question"},
    "home_help": {"nl": "Hoe werkt het?", "en": "How does it work?"},
    "home_recent": {"nl": "*Je recente vragen*", "en": "*Your recent questions*"},
    "home_no_recent": {
        "nl": "Je hebt nog geen vragen gesteld.",
        "en": "You haven't asked anything yet.",
    },
    "home_manager_title": {
        "nl": "*Voor de conversatiemanager: de laatste 7 dagen*",
        "en": "*For the conversation manager: the last 7 days*",
    },
    "home_manager_stats": {
        "nl": "Vragen: *{asked}* · beantwoord: *{share:.0%}* · 👍 *{helpful}* · 👎 *{not_helpful}*",
        "en": "Questions: *{asked}* · answered: *{share:.0%}* · 👍 *{helpful}* · "
        "👎 *{not_helpful}*",
    },
    "home_manager_unanswered": {
        "nl": "*Onbeantwoorde vragen, nieuwste eerst*",
        "en": "*Unanswered questions, newest first*",
    },
    "home_manager_none": {
        "nl": "Geen onbeantwoorde vragen. 🎉",
        "en": "No unanswered questions. 🎉",
    },
    "answered_mark": {"nl": "✅", "en": "✅"},
    "unanswered_mark": {"nl": "❔", "en": "❔"},
    "modal_title": {"nl": "Vraag het socialbot", "en": "Ask socialbot"},
    "modal_label": {"nl": "Je vraag", "en": "Your question"},
    "modal_placeholder": {
        "nl": "bv. Wie mag er namens het merk posten?",
        "en": "e.g. Who may post on behalf of the brand?",
    },
    "modal_submit": {"nl": "Vraag", "en": "Ask"},
    "modal_cancel": {"nl": "Annuleer", "en": "Cancel"},
    "modal_empty": {
        "nl": "Typ eerst een vraag.",
        "en": "Please type a question first.",
    },
    # --- numbers and money -----------------------------------------------------------
    "number_invalid": {
        "nl": "{what}: “{value}” is geen getal. Schrijf bv. 1250, 1.250,50 of € 1 250.",
        "en": "{what}: “{value}” is not a number. Write e.g. 1250, 1,250.50 or € 1 250.",
    },
    "number_negative": {
        "nl": "{what}: geef een bedrag of aantal van 0 of meer.",
        "en": "{what}: give an amount or number of 0 or more.",
    },
    "number_too_large": {
        "nl": "{what}: dat getal is te groot.",
        "en": "{what}: that number is too large.",
    },
    "money_cents": {
        "nl": "{what}: “{value}” heeft meer dan twee cijfers na de komma.",
        "en": "{what}: “{value}” has more than two decimals.",
    },
    "text_too_long": {
        "nl": "Te lang: maximaal {limit} tekens.",
        "en": "Too long: at most {limit} characters.",
    },
    # --- pilots: rules -----------------------------------------------------------------
    "pilot_help": {
        "nl": "*Pilots volgen met `/pilot`*\n"
        "• `/pilot new`: registreer een pilot (formulier).\n"
        "• `/pilot update [pilot]`: geef een update (formulier), of snel: "
        "`/pilot update <pilot> <groen|oranje|rood> <wat er gebeurde>`.\n"
        "• `/pilot list [mine|all|flagship|at-risk]`: pilots met budget en uren.\n"
        "• `/pilot show <pilot>`: geschiedenis, budget, uren, KPI's.\n"
        "• `/pilot close <pilot>`: sluit af met uitkomst en geleerde lessen.\n"
        "Een kleine tikfout in de naam vind ik ook.",
        "en": "*Following pilots with `/pilot`*\n"
        "• `/pilot new`: register a pilot (a form).\n"
        "• `/pilot update [pilot]`: post an update (a form), or quickly: "
        "`/pilot update <pilot> <green|amber|red> <what happened>`.\n"
        "• `/pilot list [mine|all|flagship|at-risk]`: pilots with budget and hours.\n"
        "• `/pilot show <pilot>`: history, budget, hours, KPIs.\n"
        "• `/pilot close <pilot>`: close it with the outcome and lessons learned.\n"
        "A small typo in the name is fine.",
    },
    "pilot_unknown_command": {
        "nl": "Dat ken ik niet: `/pilot {word}`.",
        "en": "I don't know `/pilot {word}`.",
    },
    "pilot_quick_usage": {
        "nl": "Zo geef je een snelle update: `/pilot update <pilot> <groen|oranje|rood> <wat er "
        "gebeurde>`, bv. `/pilot update TikTok werving oranje wachten op juridisch akkoord`.",
        "en": "A quick update goes like this: `/pilot update <pilot> <green|amber|red> <what "
        "happened>`, e.g. `/pilot update TikTok recruitment amber waiting for legal`.",
    },
    "pilot_list_usage": {
        "nl": "Kies `/pilot list mine`, `all`, `flagship` of `at-risk`.",
        "en": "Choose `/pilot list mine`, `all`, `flagship` or `at-risk`.",
    },
    "pilot_name_usage": {
        "nl": "Welke pilot? Bv. `/pilot {command} TikTok werving`.",
        "en": "Which pilot? E.g. `/pilot {command} TikTok recruitment`.",
    },
    "pilot_gone": {"nl": "Die pilot bestaat niet (meer).", "en": "That pilot no longer exists."},
    "pilot_name_missing": {"nl": "Geef de naam van de pilot.", "en": "Give the pilot's name."},
    "pilot_not_found": {
        "nl": "Ik vind geen pilot die lijkt op “{name}”. `/pilot list all` toont ze.",
        "en": "I can't find a pilot like “{name}”. `/pilot list all` shows them.",
    },
    "pilot_ambiguous": {
        "nl": "“{name}” kan meerdere pilots zijn: {candidates}. Typ de naam wat vollediger.",
        "en": "“{name}” could be several pilots: {candidates}. Type more of the name.",
    },
    "pilot_not_allowed": {
        "nl": "Sorry, alleen de eigenaar (<@{owner}>), de leden en de conversatiemanager mogen "
        "“{name}” bijwerken of afsluiten. Vraag het <@{owner}>.",
        "en": "Sorry, only the owner (<@{owner}>), the members and the conversation manager may "
        "update or close “{name}”. Please ask <@{owner}>.",
    },
    "pilot_closed_already": {
        "nl": "“{name}” is al afgesloten.",
        "en": "“{name}” has been closed already.",
    },
    "pilot_none_to_update": {
        "nl": "Je hebt geen actieve pilots om bij te werken. Registreer er een met `/pilot new`.",
        "en": "You have no active pilots to update. Register one with `/pilot new`.",
    },
    "pilot_name_taken": {
        "nl": "Er bestaat al een pilot “{name}”. Kies een andere naam, of werk die bij met "
        "`/pilot update`.",
        "en": "There is a pilot “{name}” already. Choose another name, or update that one with "
        "`/pilot update`.",
    },
    "pilot_name_similar": {
        "nl": "Bedoel je {names}? Is dit echt een nieuwe pilot, vink dat dan hieronder aan.",
        "en": "Did you mean {names}? If this really is a new pilot, tick the box below.",
    },
    "pilot_owner_missing": {"nl": "Kies een persoon.", "en": "Choose a person."},
    "pilot_platforms_missing": {
        "nl": "Kies minstens één platform.",
        "en": "Choose at least one platform.",
    },
    "pilot_goal_missing": {"nl": "Beschrijf het doel.", "en": "Describe the goal."},
    "pilot_date_missing": {"nl": "Kies een datum.", "en": "Choose a date."},
    "pilot_end_before_start": {
        "nl": "Het einde ligt voor de start.",
        "en": "The end is before the start.",
    },
    "pilot_flagship_manager_only": {
        "nl": "Alleen de conversatiemanager maakt een pilot vlaggenschip.",
        "en": "Only the conversation manager makes a pilot a flagship.",
    },
    "pilot_channel_invalid": {"nl": "Kies een kanaal.", "en": "Choose a channel."},
    "pilot_kpi_incomplete": {
        "nl": "Geef bij een KPI zowel de naam als het doel (een getal).",
        "en": "Give a KPI both its name and its target (a number).",
    },
    "pilot_kpi_twice": {"nl": "Deze KPI staat er al.", "en": "This KPI is there already."},
    "pilot_kpi_unknown": {
        "nl": "Deze pilot heeft geen KPI “{name}”.",
        "en": "This pilot has no KPI “{name}”.",
    },
    "pilot_status_missing": {
        "nl": "Kies de status: groen, oranje of rood.",
        "en": "Choose the status: green, amber or red.",
    },
    "pilot_text_missing": {
        "nl": "Vertel kort wat er gebeurde.",
        "en": "Say briefly what happened.",
    },
    "pilot_outcome_missing": {
        "nl": "Kies de uitkomst: opschalen, stoppen of verlengen.",
        "en": "Choose the outcome: scale, stop or extend.",
    },
    "pilot_lesson_title": {"nl": "Lessen uit pilot {name}", "en": "Lessons from pilot {name}"},
    "pilot_created": {
        "nl": "Pilot “{name}” is geregistreerd. Updates geef je met `/pilot update {name}`.",
        "en": "Pilot “{name}” is registered. Post updates with `/pilot update {name}`.",
    },
    "pilot_updated": {"nl": "Update voor “{name}” bewaard.", "en": "Update for “{name}” saved."},
    "pilot_closed": {
        "nl": "Pilot “{name}” is afgesloten: {outcome}.",
        "en": "Pilot “{name}” is closed: {outcome}.",
    },
    # --- pilots: what people read -------------------------------------------------------
    "field_name": {"nl": "Naam van de pilot", "en": "Pilot name"},
    "field_owner": {"nl": "Eigenaar", "en": "Owner"},
    "field_members": {"nl": "Leden (mogen ook updates geven)", "en": "Members (may post updates)"},
    "field_team": {"nl": "Team of afdeling", "en": "Team or department"},
    "field_platforms": {"nl": "Platformen", "en": "Platforms"},
    "field_goal": {"nl": "Doel", "en": "Goal"},
    "field_kpi": {"nl": "KPI {n}", "en": "KPI {n}"},
    "field_kpi_target": {"nl": "Doelwaarde KPI {n}", "en": "Target of KPI {n}"},
    "field_budget": {"nl": "Budget (€)", "en": "Budget (€)"},
    "field_hours": {"nl": "Geschatte uren", "en": "Estimated hours"},
    "field_start": {"nl": "Start", "en": "Start"},
    "field_end": {"nl": "Einde", "en": "End"},
    "field_channel": {"nl": "Kanaal van de pilot", "en": "The pilot's channel"},
    "field_flagship": {"nl": "Vlaggenschip", "en": "Flagship"},
    "flagship_option": {
        "nl": "Een vlaggenschip-pilot van het social media team",
        "en": "A flagship pilot of the social media team",
    },
    "similar_option": {
        "nl": "Nieuwe pilot, ook al lijkt de naam op een bestaande",
        "en": "A new pilot, even though its name is like an existing one",
    },
    "field_similar": {"nl": "Gelijkende naam", "en": "Similar name"},
    "field_pilot": {"nl": "Pilot", "en": "Pilot"},
    "field_status": {"nl": "Status", "en": "Status"},
    "field_text": {"nl": "Wat is er gebeurd?", "en": "What happened?"},
    "field_hours_spent": {
        "nl": "Uren besteed sinds de vorige update",
        "en": "Hours spent since the last update",
    },
    "field_spent": {
        "nl": "Uitgegeven sinds de vorige update (€)",
        "en": "Money spent since the last update (€)",
    },
    "field_kpi_value": {"nl": "{name} (doel {target})", "en": "{name} (target {target})"},
    "field_blocker": {
        "nl": "Blokkade: wat houdt het tegen?",
        "en": "Blocker: what is holding it up?",
    },
    "field_blocker_user": {"nl": "Wie moet iets doen?", "en": "Who must act?"},
    "field_outcome": {"nl": "Uitkomst", "en": "Outcome"},
    "field_lessons": {"nl": "Geleerde lessen", "en": "Lessons learned"},
    "status_green": {"nl": "🟢 Op koers", "en": "🟢 On track"},
    "status_amber": {"nl": "🟠 Risico", "en": "🟠 At risk"},
    "status_red": {"nl": "🔴 Geblokkeerd", "en": "🔴 Blocked"},
    "outcome_scale": {"nl": "opschalen", "en": "scale"},
    "outcome_stop": {"nl": "stoppen", "en": "stop"},
    "outcome_extend": {"nl": "verlengen", "en": "extend"},
    "platform_other": {"nl": "Ander", "en": "Other"},
    "pilot_new_title": {"nl": "Nieuwe pilot", "en": "New pilot"},
    "pilot_update_title": {"nl": "Pilot-update", "en": "Pilot update"},
    "pilot_close_title": {"nl": "Pilot afsluiten", "en": "Close a pilot"},
    "pilot_save": {"nl": "Bewaar", "en": "Save"},
    "pilot_choose": {"nl": "Kies een pilot", "en": "Choose a pilot"},
    "pilot_update_now": {"nl": "Update nu", "en": "Update now"},
    "pilot_loading": {"nl": "Even geduld…", "en": "Just a moment…"},
    "pilot_list_title": {"nl": "Pilots ({which}): {total}", "en": "Pilots ({which}): {total}"},
    "filter_mine": {"nl": "van jou", "en": "yours"},
    "filter_all": {"nl": "alle actieve", "en": "all active"},
    "filter_flagship": {"nl": "vlaggenschepen", "en": "flagships"},
    "filter_at-risk": {"nl": "met risico", "en": "at risk"},
    "pilot_list_empty": {"nl": "Geen pilots.", "en": "No pilots."},
    "pilot_list_more": {
        "nl": "… en nog {more}. `socialbot pilots list` of de export toont ze allemaal.",
        "en": "… and {more} more. `socialbot pilots list` or the export shows them all.",
    },
    "pilot_line": {
        "nl": "{status} {name} · {owner} · budget {budget} · uren {hours} · {days} d geleden",
        "en": "{status} {name} · {owner} · budget {budget} · hours {hours} · {days} d ago",
    },
    "pilot_facts": {
        "nl": "Eigenaar: {owner} · team: {team} · {platforms} · {start} – {end}",
        "en": "Owner: {owner} · team: {team} · {platforms} · {start} – {end}",
    },
    "pilot_budget_line": {
        "nl": "Budget: {bar} ({spent} van {budget})",
        "en": "Budget: {bar} ({spent} of {budget})",
    },
    "pilot_hours_line": {
        "nl": "Uren: {bar} ({spent} van {estimated} u)",
        "en": "Hours: {bar} ({spent} of {estimated} h)",
    },
    "pilot_kpi_line": {
        "nl": "{name}: {value} van {target} {bar}",
        "en": "{name}: {value} of {target} {bar}",
    },
    "pilot_days_since": {
        "nl": "Laatste update: {days} dagen geleden",
        "en": "Last update: {days} days ago",
    },
    "pilot_history": {"nl": "Geschiedenis ({count} updates)", "en": "History ({count} updates)"},
    "pilot_no_updates": {"nl": "Nog geen updates.", "en": "No updates yet."},
    "pilot_history_more": {"nl": "… en {more} oudere.", "en": "… and {more} older."},
    "pilot_flagship_mark": {"nl": "⭐ vlaggenschip", "en": "⭐ flagship"},
    "pilot_closed_mark": {
        "nl": "Afgesloten op {date}: {outcome}",
        "en": "Closed on {date}: {outcome}",
    },
    "pilot_update_post": {
        "nl": "{status} {name}: update van <@{user}>",
        "en": "{status} {name}: update by <@{user}>",
    },
    "pilot_close_post": {
        "nl": "🏁 {name} is afgesloten door <@{user}>: {outcome}",
        "en": "🏁 {name} was closed by <@{user}>: {outcome}",
    },
    "pilot_spent_line": {
        "nl": "Besteed: {hours} u, {money}",
        "en": "Spent: {hours} h, {money}",
    },
    "pilot_blocker_line": {"nl": "Blokkade: {blocker}", "en": "Blocker: {blocker}"},
    "pilot_warning_money": {
        "nl": "⚠️ Pilot {name} heeft {threshold} % van het budget gebruikt: {spent} van {budget}.",
        "en": "⚠️ Pilot {name} has used {threshold} % of its budget: {spent} of {budget}.",
    },
    "pilot_warning_hours": {
        "nl": "⚠️ Pilot {name} heeft {threshold} % van de geschatte uren gebruikt: {spent} van "
        "{estimated} u.",
        "en": "⚠️ Pilot {name} has used {threshold} % of its estimated hours: {spent} of "
        "{estimated} h.",
    },
    "pilot_reminder": {
        "nl": "👋 Pilot {name} heeft al {days} dagen geen update. Hoe staat het ervoor?",
        "en": "👋 Pilot {name} has had no update for {days} days. How is it going?",
    },
    "pilot_reminder_quick": {
        "nl": "Of snel: `/pilot update {name} groen <wat er gebeurde>`",
        "en": "Or quickly: `/pilot update {name} green <what happened>`",
    },
    "pilot_blocked_report": {
        "nl": "🔴 Pilot {name} (eigenaar <@{owner}>) is al {days} dagen geblokkeerd.",
        "en": "🔴 Pilot {name} (owner <@{owner}>) has been blocked for {days} days.",
    },
    "home_pilots_title": {"nl": "Pilots die aandacht vragen", "en": "Pilots that need attention"},
    "home_pilots_at_risk": {"nl": "🟠 Risico ({count})", "en": "🟠 At risk ({count})"},
    "home_pilots_blocked": {"nl": "🔴 Geblokkeerd ({count})", "en": "🔴 Blocked ({count})"},
    "home_pilots_over_budget": {
        "nl": "💸 Over budget of uren ({count})",
        "en": "💸 Over budget or hours ({count})",
    },
    "home_pilots_no_update": {
        "nl": "💤 Geen update in {days} dagen ({count})",
        "en": "💤 No update in {days} days ({count})",
    },
    "home_pilots_none": {
        "nl": "Alle pilots lopen. 🎉",
        "en": "Every pilot is on its way. 🎉",
    },
}


def t(key: str, lang: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` (falling back to English), filled with ``values``."""
    texts = MESSAGES[key]
    return texts.get(lang, texts["en"]).format(**values)


def confidence_level(score: float) -> str:
    """'high', 'medium' or 'low' for a confidence score."""
    if score >= 0.75:
        return "high"
    if score >= 0.5:
        return "medium"
    return "low"
