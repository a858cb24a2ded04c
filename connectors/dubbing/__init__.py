"""Subtitle dubbing (entry point ``dubbing``): an SRT or WebVTT file spoken cue by cue, each cue
fitted to its own time slot and placed at its start time in one track.

``subtitles`` reads and checks the file, ``markup`` a cue's style prefix and speaker label,
``timing`` decides how long each cue may speak, ``dubber`` makes the track, ``report`` and
``captions`` say what was done, ``cli`` is ``voxflow dub`` and ``job`` the ``dub`` job kind.
"""
