"""Outgoing mail over SMTP (aiosmtplib), with STARTTLS or implicit TLS when configured."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

import aiosmtplib

from careline.channels.errors import SendFailed
from careline.channels.ports import EmailSender, OutgoingEmail


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """The hospital's outgoing mail server and sender address."""

    host: str
    port: int
    sender: str
    sender_name: str = ""
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    implicit_tls: bool = False
    cert_bundle: str | None = None
    timeout: float = 30.0


def build_message(email: OutgoingEmail, *, sender: str, sender_name: str = "") -> EmailMessage:
    """Build a UTF-8 MIME message; non-ASCII headers are RFC 2047 encoded on output."""
    message = EmailMessage(policy=SMTP_POLICY)
    local, _, domain = sender.partition("@")
    message["From"] = Address(sender_name, local, domain) if sender_name else sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=domain or None)
    if email.reply_to_message_id:
        message["In-Reply-To"] = email.reply_to_message_id
        message["References"] = email.reply_to_message_id
    message.set_content(email.text, charset="utf-8")
    if email.html:
        message.add_alternative(email.html, subtype="html", charset="utf-8")
    for item in email.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(
            item.data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
        )
    return message


class SmtpSender(EmailSender):
    """Send mail through one SMTP server."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, email: OutgoingEmail) -> str:
        """Send ``email``; return its Message-ID."""
        message = build_message(
            email, sender=self.config.sender, sender_name=self.config.sender_name
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=self.config.host,
                port=self.config.port,
                username=self.config.username,
                password=self.config.password,
                start_tls=self.config.starttls,
                use_tls=self.config.implicit_tls,
                cert_bundle=self.config.cert_bundle,
                timeout=self.config.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise SendFailed("the mail server refused the recipient", retryable=False) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is a temporary refusal (greylisting, full queue); 5xx is final.
            raise SendFailed(
                f"the mail server answered {exc.code}", retryable=exc.code < 500
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"the mail server could not be reached: {exc}") from exc
        return str(message["Message-ID"])
