"""jieba loads quietly: nothing of its start-up reaches stderr, whichever path loads it first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

LOADERS = {
    "splitting": "from tts_engine.text import analyze; analyze('今天下午我们在会议室讨论新产品的发布计划。')",
    "homophones": (
        "from tts_engine.text.piece import Piece; from tts_engine.text.pinyin import apply_homophones;"
        " apply_homophones(Piece('重新', 'zh', pinyin={0: 'zhong4'}))"
    ),
    "warm-up": "from tts_engine.text import warm_up; warm_up()",
}


@pytest.mark.parametrize("code", LOADERS.values(), ids=LOADERS.keys())
def test_loading_jieba_prints_nothing(tmp_path: Path, code: str) -> None:
    # A fresh TMPDIR: jieba builds its cache there, the noisiest start it has.
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", f"{code}; print('ok')"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert done.stderr == "", done.stderr
    assert list(tmp_path.glob("jieba*.cache")), "jieba did load its dictionary"
