"""Money and numbers as people type them."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.money import format_money, format_number, parse_money, parse_number


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1.234,50", 123450),
        ("1234.5", 123450),
        ("€ 1 200", 120000),
        ("€1.200,-", 120000),
        ("1,234.50", 123450),
        ("1.200", 120000),
        ("1,200", 120000),
        ("12,5", 1250),
        ("0.5", 50),
        ("1.234.567", 123456700),
        ("EUR 15", 1500),
        ("250 euro", 25000),
        ("0", 0),
    ],
)
def test_money_is_read_leniently_into_cents(typed: str, cents: int) -> None:
    assert parse_money(typed, "nl", "Budget") == cents


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("veel", "is geen getal"),
        ("12abc", "is geen getal"),
        ("", "is geen getal"),
        ("1.2.3", "is geen getal"),
        ("-5", "0 of meer"),
        ("1,234", None),  # thousands: fine
        ("1.2345", "meer dan twee cijfers"),
        ("9" * 20, "te groot"),
    ],
)
def test_garbage_gets_a_friendly_message(typed: str, problem: str | None) -> None:
    if problem is None:
        assert parse_money(typed, "nl", "Budget") == 123400
        return
    with pytest.raises(InvalidInput, match=problem) as error:
        parse_money(typed, "nl", "Budget")
    assert str(error.value).startswith("Budget")


def test_numbers_take_a_unit_of_hours() -> None:
    assert parse_number("12,5 uur", "nl", "Uren", unit=True) == 12.5
    assert parse_number("3h", "en", "Hours", unit=True) == 3.0
    with pytest.raises(InvalidInput, match="not a number"):
        parse_number("three", "en", "Hours", unit=True)


def test_money_and_numbers_are_written_the_readers_way() -> None:
    assert format_money(123450, "nl") == "€ 1.234,50"
    assert format_money(123450, "en") == "€1,234.50"
    assert format_money(120000, "nl") == "€ 1.200"
    assert format_number(12.5, "nl") == "12,5"
    assert format_number(1234.0, "en") == "1,234"
