from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.knowledge import Entry
from bot.knowledge.entry import EntryErrors, load_paths, parse_csv, parse_markdown, to_markdown

GOOD = """---
id: good-entry
title: "Wat is de conversatiegids?"
lang: nl
tags: [beleid]
questions:
  - Waar vind ik de regels?
owner: U0123ABCD
updated: 2026-05-12
---
De **conversatiegids** staat op het intranet.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_parses_into_an_entry() -> None:
    entry = parse_markdown(GOOD, "kb/good-entry.md")
    assert entry == Entry(
        id="good-entry",
        title="Wat is de conversatiegids?",
        lang="nl",
        body="De **conversatiegids** staat op het intranet.",
        tags=("beleid",),
        questions=("Waar vind ik de regels?",),
        owner="U0123ABCD",
        updated="2026-05-12",
    )


@pytest.mark.parametrize(
    ("change", "field", "line", "words"),
    [
        (('title: "Wat is de conversatiegids?"\n', ""), "title", None, "required"),
        (("lang: nl", "lang: fr"), "lang", 4, "not a supported language"),
        (("id: good-entry", "id: other-entry"), "id", 2, "file name"),
        (("id: good-entry", "id: Good_Entry"), "id", 2, "kebab-case"),
        (("updated: 2026-05-12", "updated: last week"), "updated", 9, "not a date"),
        (("tags: [beleid]", "tags: {a: 1}"), "tags", 5, "list of strings"),
        (("owner: U0123ABCD", "colour: blue"), "colour", 8, "unknown field"),
        (("De **conversatiegids** staat op het intranet.", ""), "body", None, "empty"),
        (("tags: [beleid]", "tags: [beleid"), "", 6, "invalid YAML"),
    ],
)
def test_bad_file_names_file_field_and_line(
    change: tuple[str, str], field: str, line: int | None, words: str
) -> None:
    with pytest.raises(EntryErrors) as error:
        parse_markdown(GOOD.replace(*change), "kb/good-entry.md")
    problem = error.value.errors[0]
    assert problem.source == "kb/good-entry.md"
    assert problem.field == field
    assert words in problem.message
    if line is not None:
        assert problem.line == line
        assert str(problem).startswith(f"kb/good-entry.md:{line}:")


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2026-05-01", "2026-05-01"),
        ("2026-5-1", "2026-05-01"),
        ("2026-05-01 10:30", "2026-05-01"),
        ("2026-05-01T10:30:00.5Z", "2026-05-01"),
        ("2026-05-01 10:30:00 +02:00", "2026-05-01"),
    ],
)
def test_dates_are_read_as_yaml_writes_them(written: str, read: str) -> None:
    text = GOOD.replace("updated: 2026-05-12", f"updated: {written}")
    assert parse_markdown(text, "good-entry.md").updated == read


@pytest.mark.parametrize(
    "written",
    ["2026-13-45", "2026-02-30", "next week", "!!timestamp 2026-13-01", "2026-01-01T25:99junk"],
)
def test_an_impossible_date_names_the_field(written: str) -> None:
    text = GOOD.replace("updated: 2026-05-12", f"updated: {written}")
    with pytest.raises(EntryErrors) as error:
        parse_markdown(text, "good-entry.md")
    assert "updated" in str(error.value) or "invalid YAML value" in str(error.value)


def test_missing_front_matter_is_reported() -> None:
    with pytest.raises(EntryErrors, match="must start with a '---'"):
        parse_markdown("just text", "kb/x.md")


def test_duplicate_ids_across_files_are_rejected(tmp_path: Path) -> None:
    write(tmp_path, "good-entry.md", GOOD)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "good-entry.md", GOOD)
    with pytest.raises(EntryErrors) as error:
        load_paths([tmp_path, tmp_path / "sub"])
    assert any(e.field == "id" and "duplicate" in e.message for e in error.value.errors)


def test_every_bad_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD.replace("id: good-entry", "id: a").replace("lang: nl", "lang: x"))
    write(tmp_path, "b.md", "---\nid: b\n")
    write(tmp_path, "good-entry.md", GOOD)
    with pytest.raises(EntryErrors) as error:
        load_paths([tmp_path])
    assert {Path(e.source).name for e in error.value.errors} == {"a.md", "b.md"}


def test_missing_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(EntryErrors, match="no such file or folder"):
        load_paths([tmp_path / "missing"])


def test_csv_rows_become_entries() -> None:
    text = (
        "id,title,body,lang,tags,questions\n"
        'hashtags,What hashtags do we use?,"Use #ourbrand, never more than 3.",en,'
        "hashtag;style,Which hashtag?;Hashtag rules\n"
    )
    (entry,) = parse_csv(text, "faq.csv")
    assert entry.id == "hashtags"
    assert entry.tags == ("hashtag", "style")
    assert entry.questions == ("Which hashtag?", "Hashtag rules")
    assert entry.body == "Use #ourbrand, never more than 3."


def test_bad_csv_row_names_its_line() -> None:
    text = "id,title,body,lang,tags,questions\nok,T,B,en,,\nbad id,T,B,de,,\n"
    with pytest.raises(EntryErrors) as error:
        parse_csv(text, "faq.csv")
    assert {(e.field, e.line) for e in error.value.errors} == {("id", 3), ("lang", 3)}


def test_csv_without_required_columns_is_rejected() -> None:
    with pytest.raises(EntryErrors, match="missing column.*the first row must name"):
        parse_csv("id,title\nx,y\n", "faq.csv")


def test_spreadsheet_csv_exports_are_read(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" starts with a byte-order mark; in a Dutch or Belgian locale it
    # separates columns with semicolons, and people capitalise headers.
    (tmp_path / "excel.csv").write_bytes(
        "\ufeffID;Title;Body;Lang;Tags;Questions\r\n"
        'hashtags;Welke hashtags?;"Gebruik #onsmerk; nooit meer dan 3.";nl;"hashtag;stijl";\r\n'
        "".encode()
    )
    (tmp_path / "bom.md").write_bytes(
        b"\xef\xbb\xbf---\nid: bom\ntitle: T?\nlang: en\ntags: [a]\n"
        b"updated: 2026-01-01\n---\nBody\n"
    )
    entries = {e.id: e for e in load_paths([tmp_path])}
    assert entries["hashtags"].body == "Gebruik #onsmerk; nooit meer dan 3."
    assert entries["hashtags"].tags == ("hashtag", "stijl")
    assert entries["bom"].title == "T?"


def test_a_semicolon_csv_with_quoted_headers_is_read() -> None:
    text = '"id";"title";"body";"lang"\n"quoted";"T";"B";"en"\n'  # R's write.csv2, "quote all"
    assert [e.id for e in parse_csv(text, "faq.csv")] == ["quoted"]


def test_a_csv_column_given_twice_is_an_error() -> None:
    with pytest.raises(EntryErrors, match="column.s. given twice: title"):
        parse_csv("id,title,body,lang,Title\ndup,First,B,en,Second\n", "faq.csv")


def test_a_csv_quote_never_closed_is_named_at_its_row() -> None:
    text = 'id,title,body,lang\na1,T1,B,en\n"a4,T4,B,en\nb5,T5,B,en\n'
    with pytest.raises(EntryErrors) as caught:
        parse_csv(text, "faq.csv")
    (error,) = caught.value.errors
    assert error.line == 3 and "double quote opened in this row is never closed" in str(error)


def test_csv_problems_point_at_the_first_line_of_their_row() -> None:
    text = 'id,title,body,lang\nok,T,"two\nlines",en\nBad_Id,T,"x"y,en\n'
    with pytest.raises(EntryErrors) as caught:
        parse_csv(text, "faq.csv")
    (error,) = caught.value.errors  # "x"y: a reader that is not strict would store xy
    assert error.line == 4 and "not valid CSV" in str(error)
    with pytest.raises(EntryErrors) as caught:
        parse_csv('id,title,body,lang\nBad_Id,T,"two\nlines",en\n', "faq.csv")
    assert caught.value.errors[0].line == 2


def test_csv_line_numbers_count_blank_lines() -> None:
    with pytest.raises(EntryErrors) as caught:
        parse_csv("id,title,body,lang\nok,T,B,en\n\n\nBad_Id,T,B,en\n", "faq.csv")
    assert caught.value.errors[0].line == 5


def test_a_csv_header_with_a_broken_quote_is_reported_not_raised() -> None:
    with pytest.raises(EntryErrors) as caught:
        parse_csv('id,title,"body,lang\nq1,T,B,en\n', "faq.csv")
    assert caught.value.errors[0].line == 1 and "not valid CSV" in str(caught.value)


def test_a_tab_separated_value_with_quotes_in_it_is_read_not_refused() -> None:
    text = 'id\ttitle\tbody\tlang\nboost\t"Boost" or promote?\tB\ten\n'
    (entry,) = parse_csv(text, "faq.csv")  # tab files are read as before: not strictly
    assert entry.id == "boost" and "or promote?" in entry.title


def test_broken_csv_is_reported_not_raised() -> None:
    text = 'id,title,body,lang,tags,questions\nbig,T,"' + "a" * 200_000 + '",en,,\n'
    with pytest.raises(EntryErrors, match="not valid CSV"):
        parse_csv(text, "faq.csv")


@pytest.mark.parametrize(
    "title",
    [
        "Plain title?",
        "Title: with a colon",
        "'Quoted' start",
        "# hash start",
        "Ja/nee: één ding",
        "Two lines,\n---\nthe second after a rule",
    ],
)
def test_markdown_round_trip_is_lossless(title: str) -> None:
    entry = Entry(
        id="round-trip",
        title=title,
        lang="nl",
        body="Line one.\n\n- a list\n- [link](https://example.com)\nLine\u2028separator, \x0c feed",
        tags=("crisis", "c: d", "social, media", "a]b", "on"),
        questions=("Vraag: één?", "yes"),
        owner="U0123ABCD",
        updated="2026-01-02",
    )
    assert parse_markdown(to_markdown(entry), "round-trip.md") == entry


@pytest.mark.parametrize("entry_id", ["010", "yes", "no", "null", "2026", "1e3"])
def test_ids_that_yaml_would_read_as_other_things_round_trip(entry_id: str) -> None:
    entry = Entry(id=entry_id, title="T", lang="en", body="B", updated="2026-01-02")
    assert parse_markdown(to_markdown(entry), f"{entry_id}.md") == entry


def test_values_keep_the_characters_they_are_written_with() -> None:
    text = (
        GOOD.replace("id: good-entry", "id: 010")
        .replace('title: "Wat is de conversatiegids?"', "title: Yes")
        .replace("tags: [beleid]", "tags: [on, no, 12.50]")
        .replace("owner: U0123ABCD", "owner: 0123")
    )
    entry = parse_markdown(text, "kb/010.md")  # YAML would read 8, True, [True, False, 12.5]
    assert (entry.id, entry.title, entry.tags, entry.owner) == (
        "010",
        "Yes",
        ("on", "no", "12.50"),
        "0123",
    )


def test_fixture_files_round_trip(fixture_entries: list[Entry]) -> None:
    for entry in fixture_entries:
        assert parse_markdown(to_markdown(entry), entry.source) == entry


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "message"),
    [
        ('title: "Wat is de conversatiegids?"', 'title: "   "', "title", 3, "is required"),
        ('title: "Wat is de conversatiegids?"', "title: {a: b}", "title", 3, "must be text"),
        ("owner: U0123ABCD", "owner: [U1, U2]", "owner", 8, "must be text"),
    ],
)
def test_blank_or_structured_text_fields_are_rejected(
    old: str, new: str, field: str, line: int, message: str
) -> None:
    with pytest.raises(EntryErrors) as error:
        parse_markdown(GOOD.replace(old, new), "good-entry.md")
    (problem,) = error.value.errors
    assert (problem.field, problem.line) == (field, line)
    assert message in problem.message


def test_a_key_given_twice_is_an_error_not_a_silent_overwrite() -> None:
    text = GOOD.replace("lang: nl\n", "lang: nl\ntitle: Another title\n")
    with pytest.raises(EntryErrors) as error:
        parse_markdown(text, "good-entry.md")
    (problem,) = error.value.errors
    assert problem.line == 5
    assert "the key 'title' is given twice" in problem.message


def test_csv_rows_of_empty_cells_are_skipped() -> None:
    # Spreadsheets save rows that were cleared as separators only.
    text = "id,title,body,lang,tags,questions\na,T,B,en,,,,\n,,,,,\n,,,,,,,,\nb,T,B,en,,\n"
    assert [e.id for e in parse_csv(text, "faq.csv")] == ["a", "b"]


def test_csv_columns_of_its_own_are_named_and_the_rest_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    (entry,) = parse_csv("id,title,body,lang,tag,notes\nx,T,B,en,t,n\n", "faq.csv")
    assert entry.id == "x" and entry.tags == ()
    assert "faq.csv: ignoring column(s) 'tag', 'notes'" in caplog.text


def test_csv_row_with_more_cells_than_columns_names_its_line() -> None:
    text = "id,title,body,lang\na,T,B,en\nb,T,Use x, y and z,en\n"
    with pytest.raises(EntryErrors) as error:
        parse_csv(text, "faq.csv")
    (problem,) = error.value.errors
    assert problem.line == 3
    assert "needs double quotes" in problem.message


def test_duplicate_ids_in_one_csv_name_both_rows(tmp_path: Path) -> None:
    write(tmp_path, "faq.csv", "id,title,body,lang\na,T,B,en\nb,T,B,en\na,T2,B2,en\n")
    with pytest.raises(EntryErrors) as error:
        load_paths([tmp_path])
    (problem,) = error.value.errors
    assert str(problem).endswith(
        f"faq.csv:4: field 'id': duplicate id 'a', also in {tmp_path}/faq.csv:2"
    )


def test_a_folder_is_read_without_its_subfolders_which_are_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    entry = GOOD.replace("good-entry", "{id}")
    (tmp_path / "crisis").mkdir()
    (tmp_path / ".git").mkdir()
    write(tmp_path, "top.md", entry.format(id="top"))
    write(tmp_path / "crisis", "first-hour.md", entry.format(id="first-hour"))
    write(tmp_path / ".git", "hidden.md", "not an entry")
    # A file named again, directly or inside a folder, is read once.
    entries = load_paths([tmp_path, tmp_path / "top.md"])
    assert [e.id for e in entries] == ["top"]
    assert f"{tmp_path / 'crisis'}: skipped; name it to import the entries in it" in caplog.text
    assert ".git" not in caplog.text
    assert sorted(e.id for e in load_paths([tmp_path, tmp_path / "crisis"])) == [
        "first-hour",
        "top",
    ]


def test_files_of_other_kinds_in_a_folder_are_named_as_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "top.md", GOOD.replace("good-entry", "top"))
    write(tmp_path, "later.markdown", GOOD.replace("good-entry", "later"))
    write(tmp_path, "README.md", "# Our knowledge base")
    write(tmp_path, ".DS_Store", "")
    assert [e.id for e in load_paths([tmp_path])] == ["top"]
    assert f"{tmp_path}: skipped later.markdown (only .md and .csv files are read)" in caplog.text
    assert "README" not in caplog.text and "DS_Store" not in caplog.text


def test_language_is_read_in_any_case() -> None:
    assert parse_markdown(GOOD.replace("lang: nl", "lang: NL"), "good-entry.md").lang == "nl"


def test_a_file_that_is_not_utf8_says_to_save_it_as_utf8(tmp_path: Path) -> None:
    (tmp_path / "cp1252.md").write_bytes(
        GOOD.replace("conversatiegids", "caf\xe9").encode("cp1252")
    )
    with pytest.raises(EntryErrors, match=r"cp1252.md: is not UTF-8 text .*; save it as UTF-8"):
        load_paths([tmp_path])


def test_front_matter_closed_by_an_indented_line_before_a_rule_in_the_body() -> None:
    text = (
        GOOD.replace("\n---\nDe **conversatiegids**", "\n ---\nDe **conversatiegids**")
        + "---\nmeer"
    )
    entry = parse_markdown(text, "kb/good-entry.md")
    assert entry.body == "De **conversatiegids** staat op het intranet.\n---\nmeer"


def test_the_id_readme_is_refused_as_its_file_would_be_skipped() -> None:
    with pytest.raises(EntryErrors, match="'readme' is kept for a folder's README.md"):
        parse_csv("id,title,body,lang\nreadme,How to read me,Read the docs,en\n", "faq.csv")


def test_yaml_nested_too_deeply_is_reported_not_raised() -> None:
    text = GOOD.replace("tags: [beleid]", "tags: " + "[" * 5000 + "]" * 5000)
    with pytest.raises(EntryErrors, match="nested too deeply"):
        parse_markdown(text, "kb/good-entry.md")


def test_a_folder_that_cannot_be_read_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    iterdir = Path.iterdir

    def refuse(path: Path) -> Iterator[Path]:  # chmod 000 does not stop root, who runs CI
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return iterdir(path)

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(EntryErrors, match="locked: cannot be read: Permission denied"):
        load_paths([locked])
