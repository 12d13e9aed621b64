"""RTCP for one stream (RFC 3550 §6): reception statistics, periodic SR/RR, SDES and BYE."""

from __future__ import annotations

import random

from careline.telephony.media import rtcp
from careline.telephony.media.rtp import MalformedPacket
from careline.telephony.media.stats import ReceptionStats

Addr = tuple[str, int]
_NTP_EPOCH = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)


class RtcpSession:
    """Track what a stream hears and build the reports it sends about it."""

    __slots__ = (
        "ssrc",
        "cname",
        "interval",
        "ntp_offset",
        "remote",
        "stats",
        "outbox",
        "malformed",
        "remote_bye",
        "next_due",
        "_sent_at_report",
    )

    def __init__(
        self, *, ssrc: int, cname: str, now: float, interval: float, ntp_offset: float
    ) -> None:
        self.ssrc = ssrc
        self.cname = cname
        self.interval = interval
        self.ntp_offset = ntp_offset  # wall clock minus monotonic clock, for NTP times
        self.remote: Addr | None = None  # latched from the first valid RTCP datagram
        self.stats: ReceptionStats | None = None
        self.outbox: list[bytes] = []
        self.malformed = 0
        self.remote_bye = False
        self.next_due = now + interval * random.uniform(0.5, 1.5)
        self._sent_at_report = 0

    def on_rtp(self, ssrc: int, seq: int, timestamp: int, now: float) -> None:
        """Account for one valid RTP packet from the remote."""
        stats = self.stats
        if stats is None or stats.ssrc != ssrc:
            stats = self.stats = ReceptionStats(ssrc, seq)
        stats.update(seq, timestamp, now)

    def receive(self, data: bytes, addr: Addr, now: float) -> None:
        """Take one RTCP datagram: note SR times for our reports, and BYE."""
        try:
            packets = rtcp.parse_compound(data)
        except MalformedPacket:
            self.malformed += 1
            return
        if self.remote is None:
            self.remote = addr
        stats = self.stats
        for packet in packets:
            if isinstance(packet, rtcp.SenderReport):
                if stats is not None and packet.ssrc == stats.ssrc:
                    stats.note_sender_report(packet.ntp_timestamp, now)
            elif isinstance(packet, rtcp.Bye):
                self.remote_bye = True

    def target(self, rtp_remote: Addr | None) -> Addr | None:
        """Return where RTCP goes: its latched source, else the RTP port + 1 (§11)."""
        if self.remote is not None:
            return self.remote
        if rtp_remote is None:
            return None
        return (rtp_remote[0], rtp_remote[1] + 1)

    def queue_report(self, now: float, rtp_remote: Addr | None, sent: tuple[int, int, int]) -> None:
        """Queue SR (or RR when nothing was sent since the last one) + SDES (§6.4, §6.5).

        ``sent`` is (packets, octets, current RTP timestamp).
        """
        # §6.3.1: randomise each interval over 0.5-1.5 times the nominal one.
        self.next_due = now + self.interval * random.uniform(0.5, 1.5)
        if self.target(rtp_remote) is None:
            return
        packets, octets, rtp_ts = sent
        blocks = (self.stats.report_block(now),) if self.stats is not None else ()
        report: rtcp.SenderReport | rtcp.ReceiverReport
        if packets > self._sent_at_report:
            self._sent_at_report = packets
            ntp = int((now + self.ntp_offset + _NTP_EPOCH) * (1 << 32)) & ((1 << 64) - 1)
            report = rtcp.SenderReport(self.ssrc, ntp, rtp_ts, packets, octets, blocks)
        else:
            report = rtcp.ReceiverReport(self.ssrc, blocks)
        sdes = rtcp.SourceDescription(((self.ssrc, self.cname),))
        self.outbox.append(rtcp.serialize_compound([report, sdes]))

    def queue_bye(self, rtp_remote: Addr | None, reason: str) -> None:
        """Queue RR + SDES + BYE (§6.6)."""
        if self.target(rtp_remote) is None:
            return
        bye = rtcp.Bye((self.ssrc,), reason)
        sdes = rtcp.SourceDescription(((self.ssrc, self.cname),))
        self.outbox.append(rtcp.serialize_compound([rtcp.ReceiverReport(self.ssrc), sdes, bye]))
