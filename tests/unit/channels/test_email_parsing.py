"""Parsing received mail: attachments, size limits, Chinese headers, malformed messages."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from careline.channels.email.parsing import parse_email


def _mail(subject: str = "Re: 投诉 [#202611250042]", attachment: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "张三 <zhangsan@example.com>"
    message["To"] = "complaints@hospital.test"
    message["Subject"] = subject
    message["Message-ID"] = "<m1@example.com>"
    message.set_content("我对挂号流程有意见。")
    if attachment is not None:
        message.add_attachment(attachment, maintype="image", subtype="jpeg", filename="收据.jpg")
    return message.as_bytes()


def test_headers_body_token_and_attachment_are_read() -> None:
    parsed = parse_email(_mail(attachment=b"\xff\xd8jpeg"))
    assert parsed.malformed is None
    assert parsed.mail_from == "zhangsan@example.com"
    assert parsed.subject == "Re: 投诉 [#202611250042]"
    assert parsed.ticket_token == "202611250042"
    assert parsed.text.strip() == "我对挂号流程有意见。"
    assert parsed.message_id == "<m1@example.com>"
    [attachment] = parsed.attachments
    assert (attachment.filename, attachment.data, attachment.refused_reason) == (
        "收据.jpg",
        b"\xff\xd8jpeg",
        None,
    )


def test_oversized_attachment_is_refused_but_the_message_is_kept() -> None:
    parsed = parse_email(_mail(attachment=b"x" * 2000), max_attachment_bytes=1000)
    assert parsed.malformed is None
    assert parsed.text.strip() == "我对挂号流程有意见。"
    [attachment] = parsed.attachments
    assert attachment.data is None
    assert attachment.size == 2000
    assert attachment.refused_reason == "larger than the limit of 1000 bytes"


def test_message_without_a_sender_is_malformed() -> None:
    parsed = parse_email(b"Subject: hello\r\n\r\nbody\r\n")
    assert parsed.malformed == "the message has no sender address"
    assert parsed.subject == "hello"


def test_multipart_without_its_boundary_is_malformed() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="zzz"\r\n\r\nno parts here\r\n'
    )
    parsed = parse_email(raw)
    assert parsed.malformed is not None
    assert parsed.malformed.startswith("broken MIME structure")


def test_empty_input_is_malformed() -> None:
    assert parse_email(b"  \r\n").malformed == "the message is empty"


def test_unknown_charset_is_malformed_not_an_exception() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=x-nope\r\n"
        b"\r\nbody\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.malformed == "the body cannot be decoded: LookupError"


_HEADER_LINES = st.sampled_from(
    [
        b"From: a@example.com\r\n",
        b"From: =?utf-8?b?5byg5LiJ?= <z@example.com>\r\n",
        b"Subject: =?gb2312?b?1tDOxA==?=\r\n",
        b"Subject: =?bogus?q?x?=\r\n",
        b"Content-Type: multipart/mixed; boundary=b\r\n",
        b"Content-Type: text/plain; charset=gbk\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Disposition: attachment; filename*=utf-8''%E6%8A%A5%E5%91%8A.pdf\r\n",
        b"To: <<<@>>>\r\n",
        b"Message-ID: <\r\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_HEADER_LINES, max_size=8), st.binary(max_size=300))
def test_parser_never_raises(headers: list[bytes], body: bytes) -> None:
    parsed = parse_email(b"".join(headers) + b"\r\n" + body + b"\r\n--b\r\n" + body)
    assert parsed.malformed is None or parsed.malformed != ""
