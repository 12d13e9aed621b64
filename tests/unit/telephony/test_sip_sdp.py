"""SDP offer/answer: codec choice, telephone-event payload type, hold."""

from __future__ import annotations

import pytest

from careline.telephony.sip.sdp import SdpError, SessionDescription, negotiate, parse_sdp
from tests.unit.telephony.sipkit import SDP_OFFER


def test_answer_keeps_the_offerers_telephone_event_payload_type() -> None:
    agreed = negotiate(parse_sdp(SDP_OFFER))
    assert agreed.dtmf_payload_type == 96
    answer = SessionDescription("127.0.0.1", 30000).answer(agreed)
    assert "m=audio 30000 RTP/AVP 0 96" in answer
    assert "a=rtpmap:96 telephone-event/8000" in answer
    assert "101" not in answer


def test_first_offered_g711_codec_wins() -> None:
    agreed = negotiate(parse_sdp(SDP_OFFER.replace("RTP/AVP 0 8 96", "RTP/AVP 8 0 96")))
    assert (agreed.codec, agreed.payload_type) == ("PCMA", 8)
    assert agreed.remote == ("127.0.0.1", 40000)


def test_odd_dynamic_payload_type_for_digits_is_used() -> None:
    offer = SDP_OFFER.replace(" 96", " 127").replace(":96 ", ":127 ")
    assert negotiate(parse_sdp(offer)).dtmf_payload_type == 127


def test_offer_without_telephone_event_has_no_dtmf_type() -> None:
    offer = SDP_OFFER.replace("RTP/AVP 0 8 96", "RTP/AVP 0")
    assert negotiate(parse_sdp(offer)).dtmf_payload_type is None


def test_offer_without_g711_is_refused() -> None:
    offer = SDP_OFFER.replace("RTP/AVP 0 8 96", "RTP/AVP 9 96").replace("a=rtpmap:0", "a=x:0")
    with pytest.raises(SdpError):
        negotiate(parse_sdp(offer))


@pytest.mark.parametrize(
    ("change", "direction"),
    [
        (("a=sendrecv", "a=sendonly"), "recvonly"),
        (("a=sendrecv", "a=inactive"), "inactive"),
        (("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0"), "inactive"),
    ],
)
def test_hold_offers_are_answered_without_sending(change, direction: str) -> None:
    offer = parse_sdp(SDP_OFFER.replace(*change))
    assert offer.on_hold
    assert negotiate(offer).direction == direction


def test_session_version_goes_up_on_change() -> None:
    sdp = SessionDescription("127.0.0.1", 30000)
    first = sdp.offer()
    sdp.bump()
    assert " 1 IN IP4" in first.splitlines()[1]
    assert " 2 IN IP4" in sdp.offer().splitlines()[1]


def test_sdp_without_audio_is_refused() -> None:
    with pytest.raises(SdpError):
        parse_sdp("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 96\r\n")


def test_aiosipua_answer_still_forces_payload_type_101() -> None:
    """Upstream fault our SDP module replaces; when this fails, upstream fixed it."""
    from aiosipua import build_sdp, negotiate_sdp
    from aiosipua import parse_sdp as upstream_parse

    answer, _ = negotiate_sdp(upstream_parse(SDP_OFFER), "127.0.0.1", 30000)
    assert answer.audio is not None
    assert "101" in answer.audio.formats
    assert build_sdp is not None
