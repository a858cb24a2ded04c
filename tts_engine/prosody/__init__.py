"""Expressive speech: speaking styles with an intensity, per-voice realisation and exact duration.

``targets`` holds the numbers a style is made of, ``styles`` the table of named styles,
``expression`` what a request asks for, ``realise`` how a voice meets the targets (in the model
first, signal processing otherwise), ``duration`` fitting speech to a length, and
``instructions`` the reader of OpenAI's free-text ``instructions``.

Modules import nothing from here at package level, so the text front-end can use ``targets``
without pulling in the engine.
"""
