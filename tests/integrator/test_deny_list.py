"""The deny-list file: its format, and what its terms and regexes match."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrator.deny_list import DenyList, DenyListError, normalise, parse

LIST = """\
# Words the broadcast may not say.
badword
secret plan

[violence]
杀人
/kill\\s+(him|her)/
ass
"""


@pytest.fixture
def deny() -> DenyList:
    return DenyList(parse(LIST))


def rule_of(deny: DenyList, text: str) -> str | None:
    refusal = deny(text)
    return refusal.rule if refusal else None


def test_comments_and_blank_lines_are_skipped_and_a_header_names_the_rule_below_it() -> None:
    assert parse(LIST) == [
        ("deny_list", 2, "badword"),
        ("deny_list", 3, "secret plan"),
        ("violence", 6, "杀人"),
        ("violence", 7, "/kill\\s+(him|her)/"),
        ("violence", 8, "ass"),
    ]


def test_terms_match_case_insensitively_and_in_full_width_forms(deny: DenyList) -> None:
    assert rule_of(deny, "This is a BadWord.") == "deny_list"
    assert rule_of(deny, "ＢＡＤＷＯＲＤ！") == "deny_list"  # full-width Latin, NFKC
    assert rule_of(deny, "the Secret   Plan") == "deny_list"  # any run of spaces inside a term
    refusal = deny("badword")
    assert refusal is not None and "line 2" in refusal.reason


def test_a_latin_term_matches_whole_words_only(deny: DenyList) -> None:
    assert rule_of(deny, "a class act, badwords, a secret planet") is None
    assert rule_of(deny, "what an ass.") == "violence"
    assert rule_of(deny, "中文里的ass词") == "violence"  # Chinese around it is not a word edge


def test_chinese_terms_match_anywhere_through_spacing_tricks_and_traditional_forms(deny: DenyList) -> None:
    assert rule_of(deny, "他说要杀人。") == "violence"
    assert rule_of(deny, "杀 人") == "violence"
    assert rule_of(deny, "杀，人") == "violence"
    assert rule_of(deny, "杀\u200b人") == "violence"  # zero-width space
    assert rule_of(deny, "他說要殺人") == "violence"  # Traditional characters
    assert rule_of(deny, "杀虫剂和人") is None


def test_a_regex_sees_the_normalised_text_and_ignores_case(deny: DenyList) -> None:
    assert rule_of(deny, "KILL   HIM") == "violence"
    assert rule_of(deny, "ｋｉｌｌ ｈｅｒ") == "violence"
    assert rule_of(deny, "kill time") is None
    refusal = deny("kill her")
    assert refusal is not None and "line 7" in refusal.reason


def test_a_bad_regex_names_the_file_and_line() -> None:
    with pytest.raises(DenyListError, match=r"deny\.txt, line 3: invalid regular expression /\(unclosed/"):
        DenyList(parse("ok\n# c\n/(unclosed/\n"), "deny.txt")
    with pytest.raises(DenyListError, match="line 1: /a\\*/ matches the empty text"):
        DenyList(parse("/a*/"), "deny.txt")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DenyListError, match=r"cannot read .*absent\.txt"):
        DenyList.read(tmp_path / "absent.txt")


def test_normalise_folds_width_case_script_and_invisible_characters() -> None:
    assert normalise("ＡＢＣ\u200d１２３ 軟體") == "abc123 软体"
