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
