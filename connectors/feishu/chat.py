"""Voice messages in Feishu chats: upload the Ogg Opus file, then send it as an ``audio`` message."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import lark_oapi as lark
from lark_oapi.api.im.v1 import (
    CreateFileRequest,
    CreateFileRequestBody,
    CreateMessageRequest,
    CreateMessageRequestBody,
)

from .client import FeishuClient


def message_uuid(*parts: str) -> str:
    """A stable id for one message: Feishu drops a second send with the same uuid (within an hour)."""
    return "vf-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class VoiceMessages:
    """Voice messages through the IM API."""

    def __init__(self, client: FeishuClient) -> None:
        self.client = client

    def upload(self, data: bytes, duration_ms: int, name: str) -> str:
        """``data`` must be Ogg Opus; returns the file_key."""

        def send(sdk: lark.Client) -> Any:
            body = (
                CreateFileRequestBody.builder()
                .file_type("opus")
                .file_name(name)
                .duration(duration_ms)
                .file(io.BytesIO(data))
                .build()
            )
            return sdk.im.v1.file.create(CreateFileRequest.builder().request_body(body).build())

        return str(self.client.call("im.files", send, expect=("file_key",))["file_key"])

    def send_audio(self, chat_id: str, file_key: str, uuid: str) -> str:
        def send(sdk: lark.Client) -> Any:
            body = (
                CreateMessageRequestBody.builder()
                .receive_id(chat_id)
                .msg_type("audio")
                .content(json.dumps({"file_key": file_key}))
                .uuid(uuid)
                .build()
            )
            req = CreateMessageRequest.builder().receive_id_type("chat_id").request_body(body).build()
            return sdk.im.v1.message.create(req)

        return str(self.client.call("im.messages", send).get("message_id", ""))

    def post(self, chat_id: str, data: bytes, duration_ms: int, name: str, uuid: str) -> str:
        """Post one voice message; a retry with the same ``uuid`` never posts twice. The message id."""
        return self.send_audio(chat_id, self.upload(data, duration_ms, name), uuid)
