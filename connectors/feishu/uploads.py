"""Files into a base's attachments: ``upload_all`` up to 20 MB, ``upload_prepare/part/finish`` above.

Requests are rebuilt on every attempt (the SDK consumes a multipart body), and one app's uploads
never overlap (``FeishuClient.upload_slot``): Feishu refuses concurrent ones with 1061045.
"""

from __future__ import annotations

import io
import zlib
from typing import Any

import lark_oapi as lark
from lark_oapi.api.drive.v1 import (
    MediaUploadInfo,
    UploadAllMediaRequest,
    UploadAllMediaRequestBody,
    UploadFinishMediaRequest,
    UploadFinishMediaRequestBody,
    UploadPartMediaRequest,
    UploadPartMediaRequestBody,
    UploadPrepareMediaRequest,
)

from .client import FeishuClient, FeishuError

TOO_LARGE = 1061043  # upload_all refuses the size
PARENT_TYPE = "bitable_file"


class MediaUploads:
    def __init__(self, client: FeishuClient, limit: int) -> None:
        self.client, self.limit = client, limit

    def upload(self, app_token: str, name: str, data: bytes) -> str:
        """Upload into a base (its attachments); whole up to ``limit``, in blocks above it. The file token."""
        with self.client.upload_slot():
            if len(data) <= self.limit:
                try:
                    return self._upload_all(app_token, name, data)
                except FeishuError as exc:
                    if exc.code != TOO_LARGE:  # a lower limit than configured: go by blocks instead
                        raise
            return self._upload_multipart(app_token, name, data)

    def _upload_all(self, app_token: str, name: str, data: bytes) -> str:
        def send(sdk: lark.Client) -> Any:  # a fresh body and stream per attempt: the SDK consumes both
            body = (
                UploadAllMediaRequestBody.builder()
                .file_name(name)
                .parent_type(PARENT_TYPE)
                .parent_node(app_token)
                .size(len(data))
                .checksum(str(zlib.adler32(data)))
                .file(io.BytesIO(data))
                .build()
            )
            return sdk.drive.v1.media.upload_all(UploadAllMediaRequest.builder().request_body(body).build())

        return str(self.client.call("medias.upload_all", send, expect=("file_token",))["file_token"])

    def _upload_multipart(self, app_token: str, name: str, data: bytes) -> str:
        def prepare(sdk: lark.Client) -> Any:
            body = (
                MediaUploadInfo.builder()
                .file_name(name)
                .parent_type(PARENT_TYPE)
                .parent_node(app_token)
                .size(len(data))
                .build()
            )
            return sdk.drive.v1.media.upload_prepare(
                UploadPrepareMediaRequest.builder().request_body(body).build()
            )

        expect = ("upload_id", "block_size", "block_num")
        plan = self.client.call("medias.upload_prepare", prepare, expect=expect)
        upload_id, block, blocks = plan["upload_id"], int(plan["block_size"]), int(plan["block_num"])
        for seq in range(blocks):
            part = data[seq * block : (seq + 1) * block]

            def send(sdk: lark.Client, seq: int = seq, part: bytes = part) -> Any:
                body = (
                    UploadPartMediaRequestBody.builder()
                    .upload_id(upload_id)
                    .seq(seq)
                    .size(len(part))
                    .checksum(str(zlib.adler32(part)))
                    .file(io.BytesIO(part))
                    .build()
                )
                return sdk.drive.v1.media.upload_part(
                    UploadPartMediaRequest.builder().request_body(body).build()
                )

            self.client.call("medias.upload_part", send)

        def finish(sdk: lark.Client) -> Any:
            body = UploadFinishMediaRequestBody.builder().upload_id(upload_id).block_num(blocks).build()
            return sdk.drive.v1.media.upload_finish(
                UploadFinishMediaRequest.builder().request_body(body).build()
            )

        return str(self.client.call("medias.upload_finish", finish, expect=("file_token",))["file_token"])
