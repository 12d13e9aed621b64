"""Reception statistics for RTCP report blocks (RFC 3550 §6.4.1, §A.1, §A.3, §A.8)."""

from __future__ import annotations

from careline.telephony.media.rtcp import ReportBlock
from careline.telephony.media.rtp import SEQ_MOD

MAX_DROPOUT = 3000
MAX_MISORDER = 100
CLOCK_RATE = 8000


class ReceptionStats:
    """Sequence tracking, loss and interarrival jitter for the one source a stream hears."""

    __slots__ = (
        "ssrc",
        "_base_seq",
        "_max_seq",
        "_cycles",
        "received",
        "_expected_prior",
        "_received_prior",
        "_transit",
        "_jitter",
        "last_sr",
        "_last_sr_arrival",
    )

    def __init__(self, ssrc: int, seq: int) -> None:
        self.ssrc = ssrc
        self.last_sr = 0
        self._last_sr_arrival = 0.0
        self._restart(seq)

    def _restart(self, seq: int) -> None:
        self._base_seq = seq
        self._max_seq = seq
        self._cycles = 0
        self.received = 0
        self._expected_prior = 0
        self._received_prior = 0
        self._transit: float | None = None
        self._jitter = 0.0

    def update(self, seq: int, timestamp: int, arrival: float) -> None:
        """Account for one packet (§A.1 without probation, §A.8 jitter)."""
        udelta = (seq - self._max_seq) & 0xFFFF
        if udelta < MAX_DROPOUT:
            if seq < self._max_seq:
                self._cycles += SEQ_MOD
            self._max_seq = seq
        elif udelta <= SEQ_MOD - MAX_MISORDER:
            # A jump too large to be loss: the sender restarted; start counting afresh.
            self._restart(seq)
        self.received += 1
        transit = arrival * CLOCK_RATE - timestamp
        if self._transit is not None:
            distance = abs(transit - self._transit)
            if distance < 1 << 30:  # ignore timestamp wrap and sender restarts
                self._jitter += (distance - self._jitter) / 16.0
        self._transit = transit

    @property
    def extended_max(self) -> int:
        """Return the extended highest sequence number received."""
        return self._cycles + self._max_seq

    def note_sender_report(self, ntp_timestamp: int, arrival: float) -> None:
        """Remember the last SR so the next report can carry LSR and DLSR."""
        self.last_sr = (ntp_timestamp >> 16) & 0xFFFFFFFF
        self._last_sr_arrival = arrival

    def report_block(self, now: float) -> ReportBlock:
        """Build the block for the next RR/SR and start a new reporting interval (§A.3)."""
        expected = self.extended_max - self._base_seq + 1
        lost = max(min(expected - self.received, 0x7FFFFF), -0x800000)
        expected_interval = expected - self._expected_prior
        received_interval = self.received - self._received_prior
        self._expected_prior = expected
        self._received_prior = self.received
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = min((lost_interval << 8) // expected_interval, 255)
        dlsr = int((now - self._last_sr_arrival) * 65536) if self.last_sr else 0
        return ReportBlock(
            ssrc=self.ssrc,
            fraction_lost=fraction,
            cumulative_lost=lost,
            highest_sequence=self.extended_max,
            jitter=int(self._jitter),
            last_sr=self.last_sr,
            delay_since_last_sr=dlsr,
        )
