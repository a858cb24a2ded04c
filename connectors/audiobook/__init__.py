"""Audiobooks: a .txt, .md or .epub book becomes one audio file per chapter, a chaptered book file
(M4B, or MP3 with ID3 chapter frames), an .m3u playlist and .srt/.vtt captions.

``book`` (chapters and the errors of bad input), ``text`` (plain text and Markdown), ``epub``,
``audio`` (chapter files and the joined book, on PyAV), ``captions``, ``manifest`` (what is done,
so a restart resumes), ``batch`` (the conversion), ``cli`` (``voxflow batch``) and ``job`` (the
``audiobook`` job kind and the ``audiobook.batch`` schedule action).
"""
