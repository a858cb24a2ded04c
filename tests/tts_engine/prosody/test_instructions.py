import pytest

from tts_engine.prosody.instructions import read
from tts_engine.prosody.styles import StyleBook

BOOK = StyleBook()


@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("用开心的语气", "style=cheerful; intensity=0.7"),
        ("speak calmly and slowly", "style=calm; intensity=0.7; rate=0.85"),
        ("Speak in a cheerful and positive tone.", "style=cheerful; intensity=0.7"),
        ("very sad", "style=sad; intensity=1"),
        ("a little angry, but not too loud", "style=angry; intensity=0.4"),
        ("不要太快，温柔一点", "style=gentle; intensity=0.4"),
        ("快乐地说，快一点", "style=cheerful; intensity=0.7; rate=1.07"),
        ("开心极了", "style=cheerful; intensity=1"),
        ("语气非常愤怒，大声说", "style=angry; intensity=1; volume=+4dB"),
        ("用新闻播音的语气", "style=serious; intensity=0.7"),
        ("not angry, just calm", "style=calm; intensity=0.7"),
        ("Whisper it, in a deep voice", "volume=-4dB; pitch=-2st"),
        ("Talk like a pirate", "none"),
        ("", "none"),
    ],
)
def test_the_rules_read_what_the_readme_says(text: str, header: str) -> None:
    assert read(text, BOOK).header() == header


def test_what_was_read_becomes_the_expression() -> None:
    reading = read("Speak very slowly and sadly, and quietly", BOOK)
    expression = reading.expression
    assert (expression.style, expression.intensity) == ("sad", 0.7)
    assert expression.adjust.rate == 0.75 and expression.adjust.gain_db == -4
    expression.check(BOOK)  # always a valid request


def test_styles_from_settings_are_recognised_by_name_and_alias() -> None:
    book = StyleBook.from_settings({"whisper": {"gain_db": -8, "aliases": ["耳语"]}})
    assert read("用耳语的方式说", book).expression.style == "whisper"


def test_the_same_words_always_read_the_same() -> None:
    text = "开心一点，但是别太快，大声些"
    first = read(text, BOOK)
    assert all(read(text, BOOK) == first for _ in range(5))
    assert first.header() == "style=cheerful; intensity=0.4; volume=+2dB"
