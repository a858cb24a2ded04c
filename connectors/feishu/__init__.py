"""Feishu (Lark) connector: Bitable meeting minutes read aloud into attachments, and voice messages.

``config`` (the ``feishu:`` section), ``client`` (the lark-oapi SDK with retries), ``fields``
(cell shapes as text), ``bitable`` (records: source and sink), ``uploads`` (files into a base),
``chat`` (voice messages), ``media`` (measuring and converting the job's file), ``events``
(webhook requests), ``connector`` (records into jobs, failures back), ``sinks`` (job sinks),
``store`` (received events, reported failures), ``runtime`` (one process's connector state and
event drainer), ``routes`` (the webhook route), ``plugin`` (what the connector hands Voxflow),
``check`` and ``cli`` (``voxflow feishu``); ``fake/`` is an in-memory Feishu Open API on
loopback, for tests.
"""
