"""Mail servers for tests: an aiosmtpd sink on loopback and a real dovecot IMAP server
started from a temporary configuration (Debian dovecot-imapd)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.ports import free_port


@dataclass
class ReceivedMail:
    mail_from: str
    recipients: list[str]
    raw: bytes

    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, _class=EmailMessage, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SinkSmtpServer:
    """An SMTP server on 127.0.0.1 that keeps every message it is given."""

    received: list[ReceivedMail] = field(default_factory=list)
    tls_context: ssl.SSLContext | None = None
    port: int = 0
    _server: asyncio.Server | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        del server, session
        raw = envelope.original_content or b""
        self.received.append(
            ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(raw))
        )
        self._arrived.set()
        return "250 OK"

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(
                self,
                hostname="sink.test",
                decode_data=False,
                enable_SMTPUTF8=True,
                tls_context=self.tls_context,
                require_starttls=self.tls_context is not None,
            ),
            "127.0.0.1",
            0,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """Make a certificate for 127.0.0.1 with openssl; return (certificate, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass(frozen=True)
class Dovecot:
    port: int
    username: str
    password: str
    maildir: Path

    def deliver(self, raw: bytes, name: str) -> None:
        """Drop a message into the mailbox as a local delivery agent would."""
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, *_mail_owner())
        tmp.rename(self.maildir / "new" / name)


def _mail_owner() -> tuple[int, int]:
    # Dovecot refuses to access mail as root (CI runs as root), so mail belongs to nobody.
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid
    return os.getuid(), os.getgid()


def _config(root: Path, port: int, user: str) -> str:
    uid, gid = _mail_owner()
    login_user = "dovenull" if os.geteuid() == 0 else user
    internal_user = "dovecot" if os.geteuid() == 0 else user
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
first_valid_gid = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:{root}/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def _wait_for_port(port: int, log: Path, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    detail = log.read_text() if log.exists() else ""
    raise RuntimeError(f"dovecot did not start on port {port}: {detail[-2000:]}")


@contextlib.contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    """Run dovecot on a free loopback port with a temp config and mail dir; stop it after."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="careline-dovecot-"))
    for folder in ("run", "state", "home", "Maildir/new", "Maildir/cur", "Maildir/tmp"):
        (root / folder).mkdir(parents=True)
    port, user, password = free_port(), "inbox", "mail-password"
    (root / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
    config = root / "dovecot.conf"
    config.write_text(_config(root, port, user))
    os.chmod(root, 0o755)
    for folder in ("home", "Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp"):
        os.chown(root / folder, *_mail_owner())
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_for_port(port, root / "dovecot.log")
        yield Dovecot(port, user, password, root / "Maildir")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if not os.environ.get("CARELINE_KEEP_DOVECOT"):
            shutil.rmtree(root, ignore_errors=True)
