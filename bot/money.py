"""Amounts of money and numbers as people type them: "1.234,50", "1234.5", "€ 1 200".

Money is kept as whole cents (an ``int``), never as a float. Parsing is lenient about
currency signs, spaces and the Dutch or English way of writing separators, and strict about
anything else: garbage is an :class:`~bot.errors.InvalidInput` with a friendly message.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.errors import InvalidInput
from bot.i18n import t

# The largest amount accepted: a billion euro (in cents), well inside SQLite's integers.
MAX_CENTS = 100_000_000_000
# The largest other number accepted (hours, KPI values and targets).
MAX_NUMBER = Decimal(1_000_000_000)

_SPACES = re.compile(r"[\s\u00a0\u202f']+")  # 1 200, 1'200, narrow no-break spaces
_CURRENCY = re.compile(r"^(€|eur|euro)|(€|eur|euro|,-|\.-)$", re.IGNORECASE)
_UNIT = re.compile(r"(h|u|uur|uren|hours?|hrs?)$", re.IGNORECASE)
_DIGITS = re.compile(r"^-?\d[\d.,]*$")


def parse_decimal(text: str, lang: str, what: str = "") -> Decimal:
    """``text`` as a number, with either decimal separator: the last of "." and "," when
    both occur; a separator that occurs more than once, or once before exactly three
    digits ("1.200", "1,200"), separates thousands. Raise InvalidInput naming ``what``."""
    raw = _SPACES.sub("", text.strip())
    if not _DIGITS.match(raw):
        raise InvalidInput(t("number_invalid", lang, value=_shown(text), what=what))
    sign, raw = ("-", raw[1:]) if raw.startswith("-") else ("", raw)
    if "." in raw and "," in raw:
        decimal = "." if raw.rfind(".") > raw.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        whole, _, fraction = raw.rpartition(decimal)
        if decimal in whole or not _grouped(whole, thousands):
            raise InvalidInput(t("number_invalid", lang, value=_shown(text), what=what))
        raw = whole.replace(thousands, "") + "." + fraction
    else:
        mark = "." if "." in raw else ","
        parts = raw.split(mark)
        if len(parts) > 2 and not _grouped(raw, mark):
            raise InvalidInput(t("number_invalid", lang, value=_shown(text), what=what))
        if len(parts) > 2 or (len(parts) == 2 and len(parts[1]) == 3 and _grouped(raw, mark)
                              and parts[0] != "0"):  # fmt: skip
            raw = raw.replace(mark, "")
        else:
            raw = raw.replace(",", ".")
    try:
        value = Decimal(sign + raw)
    except InvalidOperation:
        raise InvalidInput(t("number_invalid", lang, value=_shown(text), what=what)) from None
    if not value.is_finite():
        raise InvalidInput(t("number_invalid", lang, value=_shown(text), what=what))
    if abs(value) > MAX_NUMBER * 100:
        raise InvalidInput(t("number_too_large", lang, what=what))
    return value


def parse_number(text: str, lang: str, what: str = "", unit: bool = False) -> float:
    """A non-negative number such as hours or a KPI value ("12,5", "1.5 h" with ``unit``)."""
    raw = text.strip()
    if unit:
        raw = _UNIT.sub("", raw).strip()
    value = parse_decimal(raw, lang, what)
    if value < 0:
        raise InvalidInput(t("number_negative", lang, what=what))
    if value > MAX_NUMBER:
        raise InvalidInput(t("number_too_large", lang, what=what))
    return float(value)


def parse_money(text: str, lang: str, what: str = "") -> int:
    """An amount in euro as whole cents: "1.234,50" → 123450, "€ 1 200" → 120000,
    "1234.5" → 123450. Negative amounts, more than two decimals and garbage are refused."""
    raw = _CURRENCY.sub("", _SPACES.sub("", text.strip())).strip()
    raw = _CURRENCY.sub("", raw)  # "€ 1.200,-": both ends
    value = parse_decimal(raw, lang, what) if raw else None
    if value is None:
        raise InvalidInput(t("number_invalid", lang, value=_shown(text), what=what))
    if value < 0:
        raise InvalidInput(t("number_negative", lang, what=what))
    cents = value * 100
    if cents != cents.to_integral_value():
        raise InvalidInput(t("money_cents", lang, value=_shown(text), what=what))
    if cents > MAX_CENTS:
        raise InvalidInput(t("number_too_large", lang, what=what))
    return int(cents)


def format_money(cents: int, lang: str) -> str:
    """Cents as euro the reader's way: "€ 1.234,50" (nl) or "€1,234.50" (en); whole euro
    without decimals."""
    euro, rest = divmod(abs(cents), 100)
    whole = f"{euro:,}"
    text = whole if not rest else f"{whole}.{rest:02d}"
    if lang == "nl":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
        return f"{'-' if cents < 0 else ''}€ {text}"
    return f"{'-' if cents < 0 else ''}€{text}"


def format_number(value: float, lang: str) -> str:
    """A number with at most two decimals, without trailing zeros, the reader's way."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if lang == "nl":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def _grouped(number: str, mark: str) -> bool:
    """Whether ``number`` groups thousands with ``mark`` correctly ("1.234.567")."""
    groups = number.split(mark)
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 40 else text[:39] + "…"
