"""Styles of a book: the whole book's and a chapter's own, through the Batch, `voxflow batch` and an
audiobook job; heard by Praat on eSpeak; bad values are refused naming the option or field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.audiobook.batch import Batch, BatchOptions, BatchResult
from connectors.audiobook.styles import BookStyle
from integrator.cli import cli_app
from tests.connectors.connectors_helpers import Stack, make_settings, stack
from tests.integrator.servekit import decode
from tts_engine.engine import Engine
from tts_engine.prosody.measure import Heard, hear

app = cli_app()
SAY = "The meeting starts at three this afternoon. Please bring the quarterly report and your notes."
BOOK = f"# Minutes\n\n## One\n\n{SAY}\n\n## Two\n\n{SAY}\n\n## Three\n\n{SAY}\n"


def write_book(tmp_path: Path) -> Path:
    source = tmp_path / "minutes.md"
    source.write_text(BOOK, encoding="utf-8")
    return source


def chapters(result: BatchResult) -> list[Heard]:
    heard = []
    for entry in result.chapters:
        assert entry.file is not None
        samples, rate = decode((result.directory / entry.file).read_bytes())
        heard.append(hear(samples, rate))
    return heard


def convert(engine: Engine, source: Path, out: Path, styles: BookStyle) -> BatchResult:
    return Batch(engine, BatchOptions(voice="espeak-en", format="mp3", styles=styles)).run(source, out)


def test_a_chapter_style_moves_that_chapter_and_the_book_style_the_rest(
    tmp_path: Path, engine: Engine
) -> None:
    source = write_book(tmp_path)
    plain = chapters(convert(engine, source, tmp_path / "plain", BookStyle()))
    styles = BookStyle("sad", 1.0, {2: ("开心", 1.0), 3: ("cheerful", 0.5)})
    styled = chapters(convert(engine, source, tmp_path / "s", styles))
    one, two, three = (h.against(p) for h, p in zip(styled, plain, strict=True))
    assert one["pitch_st"] <= -1.5 and one["rate"] <= 0.9
    assert two["pitch_st"] >= 2.0 and two["range"] >= 1.2
    assert 0 < three["pitch_st"] < two["pitch_st"]


def test_changing_one_chapter_style_remakes_only_that_chapter(tmp_path: Path, engine: Engine) -> None:
    source = write_book(tmp_path)
    first = convert(engine, source, tmp_path / "out", BookStyle(chapters={2: ("sad", 1.0)}))
    assert first.tally.made == 3
    again = convert(engine, source, tmp_path / "out", BookStyle(chapters={2: ("calm", 1.0)}))
    assert (again.tally.made, again.tally.kept) == (1, 2)


def test_voxflow_batch_takes_a_style_and_chapter_styles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_book(tmp_path)
    run = CliRunner().invoke(app, ["batch", "minutes.md", "-o", "plain", "--voice", "espeak-en"])
    assert run.exit_code == 0, run.output
    styled = CliRunner().invoke(
        app,
        ["batch", "minutes.md", "-o", "styled", "--voice", "espeak-en", "--style", "calm",
         "--chapter-style", "2=angry:100%"],
    )
    assert styled.exit_code == 0, styled.output
    loud = {}
    for n, name in ((1, "001-one.mp3"), (2, "002-two.mp3")):
        plain, moved = (hear(*decode((tmp_path / d / name).read_bytes())) for d in ("plain", "styled"))
        loud[n] = moved.against(plain)
    assert loud[1]["rate"] <= 0.95 and loud[1]["gain_db"] < 0
    assert loud[2]["gain_db"] >= 3.0 and loud[2]["rate"] >= 1.05


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--style", "sleepy"], "unknown style 'sleepy'"),
        (["--style", "sad", "--intensity", "3"], "intensity must be between 0 and 1"),
        (["--chapter-style", "2=sleepy"], "unknown chapter_styles.2 'sleepy'"),
        (["--chapter-style", "2=sad:3"], "chapter_styles.2 must be between 0 and 1"),
        (["--chapter-style", "9=sad"], "chapter_styles.9: 'Minutes' has 3 chapters"),
        (["--chapter-style", "sad"], "'sad' is not CHAPTER=STYLE"),
    ],
)
def test_bad_styles_exit_2_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], words: str
) -> None:
    monkeypatch.setenv("VOXFLOW_TEST_ENGINE", "tone")
    monkeypatch.chdir(tmp_path)
    write_book(tmp_path)
    run = CliRunner().invoke(app, ["batch", "minutes.md", "-o", "out", *args])
    assert run.exit_code == 2
    assert words in " ".join(run.output.split())
    assert not (tmp_path / "out" / "001-one.mp3").exists()


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    books = tmp_path_factory.mktemp("books")
    write_book(books)
    settings = make_settings(audiobook={"input_dir": str(books), "output_dir": str(books.parent / "out")})
    with stack(settings) as s:
        yield s


def test_an_audiobook_job_speaks_in_its_styles(shelf: Stack) -> None:
    def run(output: str, **body: object) -> list[Heard]:
        with shelf.client(key=None) as client:
            args = {"input": "minutes.md", "output": output, **body.pop("args", {})}  # type: ignore[dict-item]
            created = client.post("/v1/jobs", json={"kind": "audiobook", "args": args, **body})
        assert created.status_code == 202, created.text
        job = shelf.wait(created.json()["id"])
        assert job["status"] == "succeeded", job["error"]
        out = Path(job["audiobook"]["output"])
        return [hear(*decode((out / f"00{i}-{n}.mp3").read_bytes())) for i, n in ((1, "one"), (2, "two"))]

    plain = run("plain")
    one, two = run("styled", style="sad", args={"chapter_styles": {"2": "cheerful"}})
    # The tone voice has no melody of its own: its pitch level and loudness move.
    assert one.against(plain[0])["pitch_st"] <= -2.0 and one.against(plain[0])["gain_db"] <= -2.0
    assert two.against(plain[1])["pitch_st"] >= 2.0


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"style": "sleepy"}, "style", "unknown style 'sleepy'"),
        ({"style": "sad", "intensity": 3}, "intensity", "intensity"),
        ({"args": {"chapter_styles": {"2": "sleepy"}}}, "args.chapter_styles.2", "sleepy"),
        ({"args": {"chapter_styles": {"two": "sad"}}}, "args.chapter_styles", "not a chapter number"),
        ({"args": {"chapter_styles": {"2": "sad:7"}}}, "args.chapter_styles.2", "between 0 and 1"),
        ({"duration_s": 60}, "duration_s", "an audiobook takes no duration_s"),
    ],
)
def test_bad_job_styles_are_422_naming_the_field(
    shelf: Stack, body: dict[str, object], param: str, words: str
) -> None:
    args = {"input": "minutes.md", **body.pop("args", {})}  # type: ignore[dict-item]
    with shelf.client(key=None) as client:
        answer = client.post("/v1/jobs", json={"kind": "audiobook", "args": args, **body})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["param"] == param and words in error["message"]
