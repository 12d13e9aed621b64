"""Fax through an email-to-fax gateway: the TIFF goes as an attachment to number@domain."""

from __future__ import annotations

from dataclasses import dataclass

from careline.channels.ports import EmailAttachment, EmailSender, FaxSender, OutgoingEmail


@dataclass(frozen=True, slots=True)
class FaxGatewayConfig:
    """The gateway's domain; numbers are sent in E.164 digits without '+' unless told."""

    domain: str
    keep_plus: bool = False


class EmailFaxSender(FaxSender):
    """Send a fax as an email to ``<number>@<gateway domain>`` with the TIFF attached."""

    name = "email-fax"

    def __init__(self, config: FaxGatewayConfig, email: EmailSender) -> None:
        self.config = config
        self.email = email

    def address(self, number: str) -> str:
        """Return the gateway address of a fax number."""
        local = number if self.config.keep_plus else number.lstrip("+")
        return f"{local}@{self.config.domain}"

    async def send(self, number: str, tiff: bytes, *, title: str) -> str:
        """Mail the fax; the gateway's job id is the email's Message-ID."""
        attachment = EmailAttachment("fax.tif", "image/tiff", tiff)
        return await self.email.send(
            OutgoingEmail(self.address(number), title, title, attachments=(attachment,))
        )
