"""The fake's wire: a request as endpoints see it, the HTTP handler, Feishu's event encryption."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from Crypto.Cipher import AES
from requests.structures import CaseInsensitiveDict

from .tables import ApiError, parse_multipart

RESET = 0  # the status handle() returns for a connection to drop without an answer


@dataclass
class Call:
    """One request, as an endpoint sees it."""

    params: dict[str, str]  # from the path
    query: dict[str, str]
    headers: CaseInsensitiveDict[str]
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            raise ApiError(1254001, "WrongRequestJson") from None
        return data if isinstance(data, dict) else {}

    def form(self) -> dict[str, bytes]:
        return parse_multipart(self.headers.get("Content-Type", ""), self.body)



def check_form(form: dict[str, bytes], data: bytes, required: tuple[str, ...]) -> None:
    for key in required:
        if not form.get(key):
            raise ApiError(1061002, f"params error: {key}")
    if int(form["size"]) != len(data):
        raise ApiError(1061002, "params error: size does not match the file")
    if form.get("checksum") and int(form["checksum"]) != zlib.adler32(data):
        raise ApiError(1062008, "checksum param Invalid")


def event_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if value is not None else ""


def logid() -> str:
    return uuid.uuid4().hex[:20]


def encrypt_event(encrypt_key: str, plain: bytes) -> str:
    """AES-256-CBC with key sha256(encrypt_key), a random IV in front, PKCS7; base64."""
    key = hashlib.sha256(encrypt_key.encode()).digest()
    iv = uuid.uuid4().bytes
    pad = 16 - len(plain) % 16
    sealed = AES.new(key, AES.MODE_CBC, iv).encrypt(plain + bytes([pad]) * pad)
    return base64.b64encode(iv + sealed).decode()



class Handler(BaseHTTPRequestHandler):
    server_version = "FakeFeishu/1.0"

    def _serve(self) -> None:
        fake = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        call = Call({}, {k: v[0] for k, v in parse_qs(parts.query).items()},
                    CaseInsensitiveDict(dict(self.headers.items())), body)
        status, headers, payload = fake.handle(self.command, parts.path, call)
        if status == RESET:
            self.close_connection = True  # no status line at all: the client sees the connection drop
            return
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a "slow" fault), as it may with a real server

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read fake.log instead
        pass

