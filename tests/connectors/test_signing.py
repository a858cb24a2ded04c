from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors import signing

BODY = b'{"text": "hello"}'


def test_a_signed_request_verifies_with_any_current_secret_and_names_its_signature() -> None:
    headers = signing.signed_headers("s2", BODY)
    digest = signing.verify(["s1", "s2"], headers, BODY, tolerance_s=300)
    assert headers[signing.SIGNATURE_HEADER] == "sha256=" + digest


@pytest.mark.parametrize(
    ("make_headers", "body", "code"),
    [
        (dict, BODY, "missing_signature"),
        (lambda: signing.signed_headers("wrong", BODY), BODY, "invalid_signature"),
        (lambda: signing.signed_headers("s1", BODY), BODY + b" ", "invalid_signature"),
        # Signed when the test runs, not when it is collected: a long run must not age them.
        (lambda: signing.signed_headers("s1", BODY, now=time.time() - 301), BODY, "stale_timestamp"),
        (lambda: signing.signed_headers("s1", BODY, now=time.time() + 400), BODY, "stale_timestamp"),
        (
            lambda: {signing.TIMESTAMP_HEADER: "yesterday", signing.SIGNATURE_HEADER: "sha256=00"},
            BODY,
            "invalid_signature",
        ),
    ],
)
def test_bad_signatures_are_refused_with_their_reason(
    make_headers: Callable[[], dict[str, str]], body: bytes, code: str
) -> None:
    with pytest.raises(signing.SignatureError) as caught:
        signing.verify(["s1"], make_headers(), body, tolerance_s=300)
    assert caught.value.code == code


def test_links_open_their_own_path_until_they_expire(tmp_path: Path) -> None:
    signer = signing.LinkSigner.from_config("", tmp_path / "link.key")
    again = signing.LinkSigner.from_config("", tmp_path / "link.key")  # the kept key: same links
    link, expires = signer.sign("/v1/jobs/j1/audio", 60)
    path, query = link.split("?")
    assert again.check(path, query) is True
    assert signer.check("/v1/jobs/j2/audio", query) is False
    assert signer.check(path, query.replace(str(expires), str(expires + 1000))) is False
    assert signer.check(path, query, now=expires + 1) is False
    assert signer.check(path, "format=mp3") is None
    assert (tmp_path / "link.key").stat().st_mode & 0o777 == 0o600
