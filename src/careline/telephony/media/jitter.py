"""A small jitter buffer: reorder by sequence number, drop late and duplicate packets.

Sequence numbers are extended past the 16-bit wrap relative to the next packet due for
playout (RFC 3550 §A.1 reasoning), so 65535 → 0 is just the next packet. Playout starts
once ``depth`` packets are buffered and the buffer refills after an underrun, so a remote
that pauses (silence suppression) costs no extra latency once it resumes and refills.
"""

from __future__ import annotations

from careline.telephony.media.rtp import seq_delta

_RESYNC = 1000  # a jump this big means the sender restarted: start over


class JitterBuffer:
    """Hold a few packets' payloads and release one per tick in sequence order."""

    __slots__ = (
        "depth",
        "capacity",
        "_slots",
        "_next",
        "_playing",
        "_primed",
        "_began",
        "late",
        "duplicates",
        "lost",
    )

    def __init__(self, depth: int = 2, capacity: int = 12) -> None:
        self.depth = depth
        self.capacity = capacity
        self._slots: dict[int, bytes] = {}
        self._next = 0  # extended sequence number due next
        self._playing = False
        self._primed = False  # False until the first packet fixes the sequence base
        self._began = False  # True once playout has ever started
        self.late = 0
        self.duplicates = 0
        self.lost = 0

    def __len__(self) -> int:
        return len(self._slots)

    def push(self, seq: int, payload: bytes) -> bool:
        """Store a packet; return False when it was dropped as late or duplicate."""
        slots = self._slots
        if not self._primed:
            self._primed = True
            self._next = seq
        delta = seq_delta(seq, self._next & 0xFFFF)
        if abs(delta) >= _RESYNC:
            slots.clear()
            self._playing = self._began = False
            self._next = seq
            delta = 0
        if delta < 0:
            if self._began or delta <= -self.capacity:
                self.late += 1
                return False
            self._next += delta  # reordered before playout began: start earlier
        ext = self._next + max(delta, 0)
        if ext in slots:
            self.duplicates += 1
            return False
        slots[ext] = payload
        if len(slots) > self.capacity:
            self._skip_to(max(slots) - self.depth + 1)
        return True

    def pop(self) -> bytes | None:
        """Return the payload due now, or None for a gap or an empty buffer."""
        slots = self._slots
        if not self._playing:
            if len(slots) < self.depth:
                return None
            self._playing = self._began = True
            self._next = min(slots)  # after a pause the remote may have moved on
        payload = slots.pop(self._next, None)
        if payload is not None:
            self._next += 1
            return payload
        if slots:
            # The packet due now is missing but later ones are here: one frame of
            # concealment, however long the gap, so playout does not fall behind.
            following = min(slots)
            self.lost += following - self._next
            self._next = following
        else:
            self._playing = False  # underrun: refill to depth before playing on
        return None

    def _skip_to(self, ext: int) -> None:
        for key in [k for k in self._slots if k < ext]:
            del self._slots[key]
            self.lost += 1
        self._next = ext
