"""Campaign figures: plan a 100,000-patient reminder campaign, then dial 500 paced calls.

    .venv/bin/python bench/campaign.py --patients 100000 --calls 500

Planning: a fresh SQLite database gets ``--patients`` synthetic patients (a third keep
lunar birthdays); then the audience of a birthday rule (every patient checked, lunar ones
converted) is previewed, and an "all patients" reminder is started: targets and first
attempts written. Time and the process's peak memory are printed.

Dialling: SIPp's built-in ``uas`` scenario answers behind the trunk; a ``CampaignDialer``
with the configured pacing (``--lines``, ``--per-minute``) calls ``--calls`` patients, each
hears the message, gets no key and is hung up. Printed: the achieved call rate, the
largest number of simultaneous calls, outcomes and the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import socket
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from careline.campaigns import results, service
from careline.campaigns.dialer import CampaignDialer
from careline.campaigns.model import (
    AudienceKind,
    AudienceRule,
    CampaignKind,
    Channel,
    MessageTemplate,
)
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.windows import CallingWindows, parse_windows
from careline.db.engine import make_engine
from careline.db.metadata import metadata
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.patients import service as patients
from careline.patients.model import PatientDetails
from careline.patients.synthetic import synthetic_patients
from careline.tables import metadata as _all_tables  # noqa: F401 - every table on the metadata
from careline.telephony.calls import Call
from careline.telephony.media import Prompt
from careline.telephony.server import VoiceServer
from careline.telephony.trunk import TrunkSettings

TEMPLATE = MessageTemplate(body_zh="{name}{title}您好，医院提醒您按时复诊。")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _campaign(uow: UnitOfWork, clock: Clock, kind: AudienceKind) -> int:
    created = await service.create_campaign(
        uow,
        name=f"bench {kind.value}",
        kind=CampaignKind.REMINDER,
        rule=AudienceRule(kind),
        channels=(Channel.VOICE,),
        template=TEMPLATE,
        clock=clock,
    )
    return created.id


async def plan(workdir: Path, count: int) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{workdir / 'plan.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    clock = Clock()
    people = (
        patient if n % 3 else _lunar(patient) for n, patient in enumerate(synthetic_patients(count))
    )
    started = time.perf_counter()
    async with UnitOfWork(engine) as uow:
        await patients.load_patients(uow, patients=people)
    print(f"loaded {count} patients in {time.perf_counter() - started:.1f} s")  # noqa: T201
    policy = CampaignPolicy(windows=CallingWindows(clock.zone, parse_windows("00:00-00:00")))
    async with UnitOfWork(engine) as uow:
        birthday = await _campaign(uow, clock, AudienceKind.BIRTHDAY)
        before, started = _peak_mb(), time.perf_counter()
        preview = await service.preview_audience(uow, campaign_id=birthday, clock=clock)
        took = time.perf_counter() - started
        print(  # noqa: T201
            f"birthday audience preview: {preview.size} of {count} patients in {took:.2f} s"
        )
        everyone = await _campaign(uow, clock, AudienceKind.EVERYONE)
        started = time.perf_counter()
        await service.start_campaign(uow, campaign_id=everyone, clock=clock, policy=policy)
        took = time.perf_counter() - started
        progress = await results.get_progress(uow, campaign_id=everyone)
    print(  # noqa: T201
        f"reminder to all: {progress.targets} targets + first attempts written in {took:.2f} s; "
        f"peak RSS {_peak_mb():.0f} MB (was {before:.0f} MB before planning)"
    )
    await engine.dispose()


def _lunar(patient: PatientDetails) -> PatientDetails:
    return replace(patient, lunar_birthday=True)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _speaker(_text: str, _language: str) -> Prompt:
    samples = np.arange(8000)
    return Prompt(pcm=(np.sin(samples * 0.3) * 4000).astype(np.int16), name="message")


async def _idle(call: Call) -> None:
    await call.wait_ended()


async def dial(workdir: Path, calls: int, lines: int, per_minute: float) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{workdir / 'dial.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    clock = Clock()
    async with UnitOfWork(engine) as uow:
        await patients.load_patients(uow, patients=synthetic_patients(calls))
        campaign = await _campaign(uow, clock, AudienceKind.EVERYONE)
        policy = CampaignPolicy(
            windows=CallingWindows(clock.zone, parse_windows("00:00-00:00"), lambda _: False),
            max_lines=lines,
            calls_per_minute=per_minute,
            caller_id="02150000000",
            ring_timeout=10,
            key_timeout=1.0,
        )
        await service.start_campaign(uow, campaign_id=campaign, clock=clock, policy=policy)
    port = _free_udp_port()
    sipp = await asyncio.create_subprocess_exec(
        "sipp",
        "-sn",
        "uas",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-nostdin",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(0.5)
    server = VoiceServer(
        host="127.0.0.1",
        port=0,
        rtp_port_min=30000,
        rtp_port_max=32000,
        entry_flow=_idle,
        speaker=_speaker,
        trunk=TrunkSettings("127.0.0.1", port, caller_id="02150000000"),
        max_calls=lines * 2,
    )
    await server.start()
    dialer = CampaignDialer(
        lambda: UnitOfWork(engine),
        clock,
        policy,
        voice=server,
        messages=False,
        recordings=workdir,
        interval=0.2,
    )
    peak = 0
    started = time.perf_counter()
    task = asyncio.create_task(dialer.run())
    try:
        while True:
            peak = max(peak, dialer.pacer.active)
            async with UnitOfWork(engine) as uow:
                progress = await results.get_progress(uow, campaign_id=campaign)
            if not progress.by_status.get("pending"):
                break
            await asyncio.sleep(0.1)
    finally:
        await dialer.stop()
        await task
        await server.stop()
        sipp.terminate()
        await sipp.wait()
    wall = time.perf_counter() - started
    print(  # noqa: T201
        f"dialled {progress.targets} calls in {wall:.1f} s: {60 * progress.targets / wall:.0f} "
        f"calls/min (limit {per_minute:.0f}), peak {peak} lines (limit {lines}); "
        f"attempts by outcome {dict(progress.attempts_by_outcome)}"
    )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--per-minute", type=float, default=600.0)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="careline-campaign-bench-"))
    try:
        if args.patients:
            asyncio.run(plan(workdir, args.patients))
        if args.calls:
            asyncio.run(dial(workdir, args.calls, args.lines, args.per_minute))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
