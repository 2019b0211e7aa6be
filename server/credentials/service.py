"""The app's credential collaborators: the token signer (one per secret key) and the links the
sync pull adds (QR URLs with the public base URL, the bureau's contact block)."""

from __future__ import annotations

from flask import current_app, request

from server.credentials.tokens import CredentialLinks, TokenSigner

_SIGNER = "spotcheck_credential_signer"


def signer() -> TokenSigner:
    """The app's signer, built once: deriving the key on every call would cost per token."""
    secret = current_app.config["SECRET_KEY"]
    cached = current_app.extensions.get(_SIGNER)
    if cached is None or cached[0] != secret:
        cached = (secret, TokenSigner(secret))
        current_app.extensions[_SIGNER] = cached
    return cached[1]


def base_url() -> str:
    """PUBLIC_BASE_URL (behind a proxy, the address people reach), else this request's root."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    return (configured or request.url_root).rstrip("/")


def bureau() -> dict:
    """Who to call about an inspection: shown on the phone's e-credential, offline too."""
    config = current_app.config
    return {
        "name": config["BUREAU_NAME"],
        "contact_phone": config.get("BUREAU_CONTACT_PHONE"),
        "address": config.get("BUREAU_ADDRESS"),
    }


def credential_links() -> CredentialLinks:
    """What server/syncapi/pull.py needs to add QR URLs (it runs without a request)."""
    return CredentialLinks(signer=signer(), base_url=base_url(), bureau=bureau())
