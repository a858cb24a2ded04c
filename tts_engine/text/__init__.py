"""Text front-end: turns raw text or SSML into pieces a backend can speak."""

from tts_engine.text.frontend import analyze, main_language, warm_up
from tts_engine.text.lexicon import Lexicon
from tts_engine.text.piece import Piece

__all__ = ["Lexicon", "Piece", "analyze", "main_language", "warm_up"]
