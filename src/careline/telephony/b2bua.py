"""The bridge between a caller and a second party, as a pure state machine.

Careline is a back-to-back user agent: the caller's leg and the callee's leg are separate
dialogs, and media is relayed between them by the media engine. This module decides what
each event means, so the asyncio code in ``calls.py`` only carries it out. The actions
returned are the side effects to perform, in order.
"""

from __future__ import annotations

from enum import StrEnum


class BridgeState(StrEnum):
    IDLE = "idle"
    DIALLING = "dialling"
    BRIDGED = "bridged"
    CALLER_GONE = "caller_gone"
    CALLEE_GONE = "callee_gone"
    FAILED = "failed"


class BridgeEvent(StrEnum):
    DIAL = "dial"
    CALLEE_ANSWERED = "callee_answered"
    CALLEE_FAILED = "callee_failed"
    CALLER_HUNG_UP = "caller_hung_up"
    CALLEE_HUNG_UP = "callee_hung_up"


class BridgeAction(StrEnum):
    RING_CALLEE = "ring_callee"
    CANCEL_CALLEE = "cancel_callee"
    CONNECT_MEDIA = "connect_media"
    DISCONNECT_MEDIA = "disconnect_media"
    HANG_UP_CALLEE = "hang_up_callee"


class BridgeError(ValueError):
    """An event that cannot happen in the current state."""


_FINAL = (BridgeState.CALLER_GONE, BridgeState.CALLEE_GONE, BridgeState.FAILED)


def transition(
    state: BridgeState, event: BridgeEvent
) -> tuple[BridgeState, tuple[BridgeAction, ...]]:
    """Return the next state and the actions to perform."""
    match (state, event):
        case (BridgeState.IDLE, BridgeEvent.DIAL):
            return BridgeState.DIALLING, (BridgeAction.RING_CALLEE,)
        case (BridgeState.IDLE, BridgeEvent.CALLER_HUNG_UP):
            return BridgeState.CALLER_GONE, ()
        case (BridgeState.DIALLING, BridgeEvent.CALLEE_ANSWERED):
            return BridgeState.BRIDGED, (BridgeAction.CONNECT_MEDIA,)
        case (BridgeState.DIALLING, BridgeEvent.CALLEE_FAILED):
            return BridgeState.FAILED, ()
        case (BridgeState.DIALLING, BridgeEvent.CALLER_HUNG_UP):
            return BridgeState.CALLER_GONE, (BridgeAction.CANCEL_CALLEE,)
        case (BridgeState.BRIDGED, BridgeEvent.CALLER_HUNG_UP):
            return BridgeState.CALLER_GONE, (
                BridgeAction.DISCONNECT_MEDIA,
                BridgeAction.HANG_UP_CALLEE,
            )
        case (BridgeState.BRIDGED, BridgeEvent.CALLEE_HUNG_UP):
            return BridgeState.CALLEE_GONE, (BridgeAction.DISCONNECT_MEDIA,)
        case (final, _) if final in _FINAL:
            # Late news of the other side (a BYE crossing ours) changes nothing.
            return final, ()
        case _:
            raise BridgeError(f"{event.value} while {state.value}")


class Bridge:
    """Track one bridge attempt; ``apply`` returns the actions the event calls for."""

    def __init__(self) -> None:
        self.state = BridgeState.IDLE
        self.history: list[BridgeState] = [self.state]

    def apply(self, event: BridgeEvent) -> tuple[BridgeAction, ...]:
        """Feed an event; return the side effects to perform."""
        self.state, actions = transition(self.state, event)
        self.history.append(self.state)
        return actions

    @property
    def finished(self) -> bool:
        return self.state in _FINAL


__all__ = ["Bridge", "BridgeAction", "BridgeError", "BridgeEvent", "BridgeState", "transition"]
