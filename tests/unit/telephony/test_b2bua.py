"""The bridge state machine."""

from __future__ import annotations

import pytest

from careline.telephony.b2bua import Bridge, BridgeAction, BridgeError, BridgeEvent, BridgeState


def test_answered_bridge_connects_media_and_caller_hangup_ends_callee() -> None:
    bridge = Bridge()
    assert bridge.apply(BridgeEvent.DIAL) == (BridgeAction.RING_CALLEE,)
    assert bridge.apply(BridgeEvent.CALLEE_ANSWERED) == (BridgeAction.CONNECT_MEDIA,)
    assert bridge.apply(BridgeEvent.CALLER_HUNG_UP) == (
        BridgeAction.DISCONNECT_MEDIA,
        BridgeAction.HANG_UP_CALLEE,
    )
    assert bridge.state == BridgeState.CALLER_GONE


def test_caller_leaving_while_it_rings_cancels_the_callee() -> None:
    bridge = Bridge()
    bridge.apply(BridgeEvent.DIAL)
    assert bridge.apply(BridgeEvent.CALLER_HUNG_UP) == (BridgeAction.CANCEL_CALLEE,)
    assert bridge.finished


def test_callee_hangup_keeps_the_caller() -> None:
    bridge = Bridge()
    bridge.apply(BridgeEvent.DIAL)
    bridge.apply(BridgeEvent.CALLEE_ANSWERED)
    assert bridge.apply(BridgeEvent.CALLEE_HUNG_UP) == (BridgeAction.DISCONNECT_MEDIA,)
    assert bridge.state == BridgeState.CALLEE_GONE


def test_crossing_hangups_after_the_end_do_nothing() -> None:
    bridge = Bridge()
    bridge.apply(BridgeEvent.DIAL)
    bridge.apply(BridgeEvent.CALLEE_ANSWERED)
    bridge.apply(BridgeEvent.CALLEE_HUNG_UP)
    assert bridge.apply(BridgeEvent.CALLER_HUNG_UP) == ()


def test_answer_before_dial_is_impossible() -> None:
    with pytest.raises(BridgeError):
        Bridge().apply(BridgeEvent.CALLEE_ANSWERED)
