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
    # --- teaching ----------------------------------------------------------------------
    "entry_required": {"nl": "Vul dit in.", "en": "Please fill this in."},
    "entry_too_long": {
        "nl": "Maximaal {limit} tekens.",
        "en": "At most {limit} characters.",
    },
    "entry_no_words": {
        "nl": "Gebruik woorden waarop socialbot het kan vinden.",
        "en": "Use words socialbot can find it by.",
    },
    "entry_title_taken": {
        "nl": "Dit is al een formulering van `{id}`: kies dat item.",
        "en": "This is already a phrasing of `{id}`: pick that entry.",
    },
    "entry_lang": {"nl": "Kies een taal: {languages}.", "en": "Choose a language: {languages}."},
    "entry_too_many_tags": {"nl": "Maximaal {limit} tags.", "en": "At most {limit} tags."},
    "taught_dm": {
        "nl": "Je vroeg op {date}: _{question}_\nHier is het antwoord:",
        "en": "You asked on {date}: _{question}_\nHere is the answer:",
    },
    "home_teach_title": {
        "nl": "*Te leren: vragen zonder antwoord of met 👎*",
        "en": "*To teach: questions without an answer or with 👎*",
    },
    "home_teach_none": {
        "nl": "Niets te leren. 🎉",
        "en": "Nothing to teach. 🎉",
    },
    "home_teach_cluster": {
        "nl": "*{count}×* _{question}_ · laatst {date} · {askers}",
        "en": "*{count}×* _{question}_ · last {date} · {askers}",
    },
    "home_teach_also": {"nl": "Ook: {questions}", "en": "Also: {questions}"},
    "home_teach_guess": {
        "nl": "Beste gok: `{id}` · 👎 {not_helpful}",
        "en": "Best guess: `{id}` · 👎 {not_helpful}",
    },
    "button_teach_pick": {"nl": "Kies het antwoord", "en": "Pick the answer"},
    "button_teach_new": {"nl": "Schrijf een nieuw antwoord", "en": "Write a new answer"},
    "button_teach_dismiss": {"nl": "Negeer", "en": "Dismiss"},
    "teach_pick_title": {"nl": "Leer socialbot", "en": "Teach socialbot"},
    "teach_pick_intro": {
        "nl": "Deze vragen worden extra formuleringen van het item dat je kiest, en wie ze "
        "stelde krijgt het antwoord in een DM:\n{questions}",
        "en": "These questions become alternative phrasings of the entry you pick, and whoever "
        "asked them gets the answer by DM:\n{questions}",
    },
    "teach_pick_label": {"nl": "Item uit de kennisbank", "en": "Knowledge-base entry"},
    "teach_pick_placeholder": {
        "nl": "Zoek op titel of id",
        "en": "Search by title or id",
    },
    "teach_submit": {"nl": "Leer", "en": "Teach"},
    "teach_new_title": {"nl": "Nieuw antwoord", "en": "New answer"},
    "teach_new_entry_title": {"nl": "Titel (de vraag)", "en": "Title (the question)"},
    "teach_new_body": {"nl": "Antwoord (Markdown)", "en": "Answer (Markdown)"},
    "teach_new_lang": {"nl": "Taal", "en": "Language"},
    "teach_new_tags": {
        "nl": "Tags, gescheiden door komma's",
        "en": "Tags, separated by commas",
    },
    "lang_nl": {"nl": "Nederlands", "en": "Dutch"},
    "lang_en": {"nl": "Engels", "en": "English"},
    "teach_pick_missing": {"nl": "Kies een item.", "en": "Pick an entry."},
    "teach_failed": {
        "nl": "Dat kon ik niet leren: {problem}",
        "en": "I couldn't learn that: {problem}",
    },
    "teach_done": {
        "nl": "Geleerd: {count} formulering(en) bij `{id}`; {notified} vraagsteller(s) krijgen "
        "het antwoord.",
        "en": "Taught: {count} phrasing(s) to `{id}`; {notified} asker(s) get the answer.",
    },
    # --- Escalations ---------------------------------------------------------------------
    "escalate_usage": {
        "nl": "*Escaleren naar de conversatiemanager*\n"
        "`/escalate [crisis|high|normal] <wat er gebeurt>` (normal als je niets kiest).\n"
        "Voorbeeld: `/escalate crisis Een journalist belt over de gelekte mail`",
        "en": "*Escalate to the conversation manager*\n"
        "`/escalate [crisis|high|normal] <what is happening>` (normal unless you say so).\n"
        "Example: `/escalate crisis A journalist is calling about the leaked email`",
    },
    "escalate_bad_severity": {
        "nl": "Kies crisis, high of normal.",
        "en": "Choose crisis, high or normal.",
    },
    "severity_crisis": {"nl": "🔴 Crisis", "en": "🔴 Crisis"},
    "severity_high": {"nl": "🟠 Hoog", "en": "🟠 High"},
    "severity_normal": {"nl": "🔵 Normaal", "en": "🔵 Normal"},
    "escalation_title": {
        "nl": "{severity} escalatie {reference}",
        "en": "{severity} escalation {reference}",
    },
    "escalation_reminder": {
        "nl": "⏰ Herinnering {number} van {total}: {reference} is nog niet opgepakt "
        "(gemeld {raised}).",
        "en": "⏰ Reminder {number} of {total}: {reference} has not been acknowledged yet "
        "(raised {raised}).",
    },
    "escalation_backup": {
        "nl": "Je krijgt dit als back-up: de conversatiemanager heeft {reference} nog niet "
        "opgepakt.",
        "en": "You get this as the backup: the conversation manager has not acknowledged "
        "{reference} yet.",
    },
    "escalation_reported": {
        "nl": "Gemeld door <@{user}> in {where} · {raised}",
        "en": "Raised by <@{user}> in {where} · {raised}",
    },
    "escalation_source": {"nl": "<{link}|Bronbericht>", "en": "<{link}|Source message>"},
    "escalation_asked_by": {
        "nl": "Vraag van <@{user}>.",
        "en": "Question from <@{user}>.",
    },
    "escalation_state_open": {
        "nl": "Nog niet opgepakt · deadline {due}",
        "en": "Not acknowledged yet · due {due}",
    },
    "escalation_state_acknowledged": {
        "nl": "✅ Opgepakt door <@{user}> om {when}",
        "en": "✅ Acknowledged by <@{user}> at {when}",
    },
    "escalation_state_resolved": {
        "nl": "✔️ Opgelost door <@{user}> om {when}: {note}",
        "en": "✔️ Resolved by <@{user}> at {when}: {note}",
    },
    "button_acknowledge": {"nl": "Oppakken", "en": "Acknowledge"},
    "button_resolve": {"nl": "Oplossen", "en": "Resolve"},
    "button_open_thread": {"nl": "Open thread", "en": "Open thread"},
    "button_escalate_crisis": {"nl": "🚨 Escaleer als crisis", "en": "🚨 Escalate as crisis"},
    "escalation_confirmation": {
        "nl": "Je escalatie *{reference}* ({severity}) is doorgegeven aan de "
        "conversatiemanager. Je krijgt een bericht als ze is opgepakt en als ze is opgelost.",
        "en": "Your escalation *{reference}* ({severity}) was passed to the conversation "
        "manager. You'll get a message when it is acknowledged and when it is resolved.",
    },
    "escalation_confirmation_again": {
        "nl": "Dit is al gemeld als *{reference}*.",
        "en": "This was already raised as *{reference}*.",
    },
    "escalation_acknowledged_dm": {
        "nl": "Je escalatie *{reference}* is opgepakt door <@{user}>.",
        "en": "Your escalation *{reference}* was acknowledged by <@{user}>.",
    },
    "escalation_resolved_dm": {
        "nl": "Je escalatie *{reference}* is opgelost door <@{user}>:\n{note}",
        "en": "Your escalation *{reference}* was resolved by <@{user}>:\n{note}",
    },
    "escalation_not_allowed": {
        "nl": "Sorry, alleen de conversatiemanager of de back-up ({who}) kan {reference} "
        "oppakken of oplossen. Heb je iets toe te voegen? Schrijf het in de thread.",
        "en": "Sorry, only the conversation manager or the backup ({who}) can acknowledge or "
        "resolve {reference}. Something to add? Write it in the thread.",
    },
    "escalation_already_acknowledged": {
        "nl": "{reference} is al opgepakt door <@{user}>.",
        "en": "{reference} was already acknowledged by <@{user}>.",
    },
    "escalation_already_resolved": {
        "nl": "{reference} is al opgelost door <@{user}>.",
        "en": "{reference} was already resolved by <@{user}>.",
    },
    "escalation_done_acknowledged": {
        "nl": "Je hebt {reference} opgepakt; de melder krijgt bericht.",
        "en": "You acknowledged {reference}; the reporter is told.",
    },
    "escalation_done_resolved": {
        "nl": "{reference} is opgelost; de melder krijgt bericht.",
        "en": "{reference} is resolved; the reporter is told.",
    },
    "resolve_note_empty": {
        "nl": "Schrijf kort hoe het is opgelost.",
        "en": "Write briefly how it was resolved.",
    },
    "resolve_modal_title": {"nl": "Escalatie oplossen", "en": "Resolve escalation"},
    "resolve_modal_note": {"nl": "Hoe is het opgelost?", "en": "How was it resolved?"},
    "resolve_modal_lesson": {
        "nl": "Bewaar als les (concept voor de kennisbank)",
        "en": "Save as lesson (a draft knowledge-base entry)",
    },
    "resolve_modal_lesson_title": {
        "nl": "Titel van de les (de vraag die ze beantwoordt)",
        "en": "Lesson title (the question it answers)",
    },
    "resolve_modal_submit": {"nl": "Oplossen", "en": "Resolve"},
    "escalate_modal_title": {"nl": "Escaleren", "en": "Escalate"},
    "escalate_modal_severity": {"nl": "Ernst", "en": "Severity"},
    "escalate_modal_text": {"nl": "Wat gebeurt er?", "en": "What is happening?"},
    "escalate_modal_submit": {"nl": "Escaleer", "en": "Escalate"},
    "crisis_detected": {
        "nl": "🚨 *Dit klinkt als een crisis die nu speelt.* Reageer niet zelf; volg de "
        "richtlijn voor het eerste uur en escaleer meteen naar de conversatiemanager.",
        "en": "🚨 *This sounds like a crisis happening now.* Don't respond yourself; follow the "
        "first-hour guidance and escalate to the conversation manager right away.",
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
    # Lessons learned (bot/lessons.py, handlers/lessons.py)
    "lesson_modal_title": {"nl": "Geleerde les", "en": "Lesson learned"},
    "lesson_modal_submit": {"nl": "Insturen", "en": "Submit"},
    "lesson_modal_save": {"nl": "Bewaren", "en": "Save"},
    "lesson_field_title": {"nl": "Titel", "en": "Title"},
    "lesson_field_happened": {"nl": "Wat gebeurde er?", "en": "What happened?"},
    "lesson_field_learned": {
        "nl": "Wat hebben we geleerd? (het antwoord)",
        "en": "What did we learn? (the answer)",
    },
    "lesson_field_tags": {"nl": "Tags (komma's ertussen)", "en": "Tags (comma-separated)"},
    "lesson_field_pilot": {"nl": "Bijbehorende pilot", "en": "Related pilot"},
    "lesson_field_lang": {"nl": "Taal", "en": "Language"},
    "lesson_submitted": {
        "nl": "Bedankt! Je les *{title}* ligt bij de conversatiemanager ter goedkeuring.",
        "en": "Thank you! Your lesson *{title}* is with the conversation manager for approval.",
    },
    "lesson_happened_label": {"nl": "Wat er gebeurde:", "en": "What happened:"},
    "lesson_review_text": {
        "nl": "Nieuwe geleerde les ter goedkeuring: {title} (les {id})",
        "en": "New lesson learned to review: {title} (lesson {id})",
    },
    "lesson_review_header": {
        "nl": "📝 *Nieuwe geleerde les ter goedkeuring* (van {who}, via {source})",
        "en": "📝 *New lesson learned to review* (from {who}, via {source})",
    },
    "lesson_approve": {"nl": "Goedkeuren", "en": "Approve"},
    "lesson_edit": {"nl": "Bewerken", "en": "Edit"},
    "lesson_reject": {"nl": "Afwijzen", "en": "Reject"},
    "lesson_approved_by": {
        "nl": "✅ Goedgekeurd door {who}: nu in de kennisbank als `{entry}`.",
        "en": "✅ Approved by {who}: now in the knowledge base as `{entry}`.",
    },
    "lesson_rejected_by": {
        "nl": "Afgewezen door {who}: {reason}",
        "en": "Rejected by {who}: {reason}",
    },
    "lesson_approved_dm": {
        "nl": "✅ Je les *{title}* is goedgekeurd en staat nu in de kennisbank.",
        "en": "✅ Your lesson *{title}* was approved and is now in the knowledge base.",
    },
    "lesson_rejected_dm": {
        "nl": "Je les *{title}* is niet opgenomen. Reden: {reason}",
        "en": "Your lesson *{title}* was not taken in. Reason: {reason}",
    },
    "lesson_reject_title": {"nl": "Les afwijzen", "en": "Reject lesson"},
    "lesson_reject_reason": {
        "nl": "Waarom? (de indiener krijgt dit te lezen)",
        "en": "Why? (the submitter reads this)",
    },
    "lesson_failed": {"nl": "Dat lukte niet: {problem}", "en": "That did not work: {problem}"},
    "stale_dm_intro": {
        "nl": "🕰️ {count} kennisbank-item(s) van jou zijn meer dan {days} dagen niet "
        "nagekeken. Klopt het nog?",
        "en": "🕰️ {count} knowledge-base entr(y/ies) of yours were not checked for over {days} "
        "days. Still correct?",
    },
    "stale_entry": {
        "nl": "*{title}* (`{id}`) · laatst nagekeken: {updated}",
        "en": "*{title}* (`{id}`) · last verified: {updated}",
    },
    "stale_still_correct": {"nl": "Klopt nog", "en": "Still correct"},
    "stale_checked": {
        "nl": "✅ `{id}` is nagekeken op {updated}.",
        "en": "✅ `{id}` was verified on {updated}.",
    },
    "digest_subscribe": {"nl": "Digest per DM ontvangen", "en": "Get the digest by DM"},
    "digest_unsubscribe": {"nl": "Geen digest meer per DM", "en": "Stop the digest by DM"},
    "digest_home": {
        "nl": "*Wekelijkse digest*: de geleerde lessen, pilots, escalaties en vragen van de week.",
        "en": "*Weekly digest*: the lessons learned, pilots, escalations and questions of the "
        "week.",
    },
    # The weekly digest (bot/digest.py)
    "digest_title": {"nl": "Weekoverzicht {week}", "en": "Weekly digest {week}"},
    "digest_period": {"nl": "{start} tot en met {end}", "en": "{start} to {end}"},
    "digest_late": {
        "nl": "⏰ Later verstuurd dan gepland ({slot}).",
        "en": "⏰ Sent later than scheduled ({slot}).",
    },
    "digest_empty": {
        "nl": "Een rustige week: niets te melden.",
        "en": "A quiet week: nothing to report.",
    },
    "digest_lessons": {"nl": "Geleerde lessen", "en": "Lessons learned"},
    "digest_lesson": {
        "nl": "*{title}*: {summary} ({who}) · {ask}",
        "en": "*{title}*: {summary} ({who}) · {ask}",
    },
    "digest_ask": {"nl": "vraag ernaar", "en": "ask about it"},
    "digest_more": {"nl": "… en nog {count}", "en": "… and {count} more"},
    "digest_pilots": {"nl": "Pilots", "en": "Pilots"},
    "digest_pilot_counts": {
        "nl": "{active} actief: {green} groen, {amber} oranje, {red} rood",
        "en": "{active} active: {green} green, {amber} amber, {red} red",
    },
    "digest_flagships": {"nl": "Vlaggenschepen: {list}", "en": "Flagships: {list}"},
    "digest_over_budget": {
        "nl": "Budget- of urenalarm: {list}",
        "en": "Budget or hours alerts: {list}",
    },
    "digest_no_updates": {
        "nl": "Geen update in 14 dagen: {list}",
        "en": "No update in 14 days: {list}",
    },
    "digest_escalations": {"nl": "Escalaties", "en": "Escalations"},
    "digest_escalation_counts": {
        "nl": "{total} deze week ({by_severity}) · mediaan tijd tot bevestiging: {median}",
        "en": "{total} this week ({by_severity}) · median time to acknowledge: {median}",
    },
    "digest_still_open": {"nl": "Nog open: {list}", "en": "Still open: {list}"},
    "digest_questions": {"nl": "Vragen", "en": "Questions"},
    "digest_question_counts": {
        "nl": "{asked} gesteld · {answered}% beantwoord · {helpful}% nuttig gevonden",
        "en": "{asked} asked · {answered}% answered · {helpful}% found helpful",
    },
    "digest_topics": {"nl": "Toponderwerpen: {list}", "en": "Top topics: {list}"},
    "digest_taught": {
        "nl": "Aangeleerd: {questions} vraag/vragen, {phrasings} formulering(en)",
        "en": "Taught: {questions} question(s), {phrasings} phrasing(s)",
    },
    "digest_to_teach": {"nl": "Nog aan te leren: {list}", "en": "Still to teach: {list}"},
    "digest_kb": {"nl": "Kennisbank", "en": "Knowledge base"},
    "digest_kb_counts": {
        "nl": "{new} nieuw of bijgewerkt · {stale} verouderd (ouder dan {days} dagen)",
        "en": "{new} new or updated · {stale} stale (older than {days} days)",
    },
    "digest_chart_title": {"nl": "De laatste 8 weken", "en": "The last 8 weeks"},
    "digest_chart_asked": {"nl": "gesteld", "en": "asked"},
    "digest_chart_answered": {"nl": "beantwoord", "en": "answered"},
    "digest_chart_burn": {"nl": "pilotbudget besteed (€)", "en": "pilot budget spent (€)"},
    "digest_none": {"nl": "–", "en": "–"},
    "digest_green": {"nl": "groen", "en": "green"},
    "digest_amber": {"nl": "oranje", "en": "amber"},
    "digest_red": {"nl": "rood", "en": "red"},
    "digest_crisis": {"nl": "crisis", "en": "crisis"},
    "digest_high": {"nl": "hoog", "en": "high"},
    "digest_normal": {"nl": "normaal", "en": "normal"},
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
