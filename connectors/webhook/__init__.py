"""Inbound webhooks: ``POST /v1/hooks/{name}`` turns a signed JSON body into a speech job.

``replay`` (signatures already used, in the job database or memory), ``payload`` (text,
idempotency key and callback URL out of the JSON), ``hooks`` (the checks and the job, without
HTTP), ``routes`` (the FastAPI route). Signing itself is connectors/signing.py.
"""
