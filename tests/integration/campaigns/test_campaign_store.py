"""Campaign audiences, atomic claiming, retries and opt-outs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import attempt_service, results, service
from careline.campaigns.model import (
    AudienceKind,
    AudienceRule,
    CampaignKind,
    CampaignStateConflict,
    CampaignStatus,
    Channel,
    InvalidCampaign,
    MessageTemplate,
    TargetStatus,
)
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.retry import AttemptOutcome
from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from tests.integration.campaigns.helpers import add_patients, patient, survey_campaign

BIRTHDAY = date(1980, 11, 25)  # the fake clock's day: 2026-11-25, 09:00 in Shanghai
POLICY = CampaignPolicy()


async def _greeting(uow: UnitOfWork, clock: FakeClock, kind: CampaignKind) -> int:
    campaign = await service.create_campaign(
        uow,
        name="生日问候",
        kind=kind,
        rule=AudienceRule(AudienceKind.BIRTHDAY),
        channels=(Channel.VOICE, Channel.SMS),
        template=MessageTemplate(body_zh="{name}{title}，生日快乐！"),
        clock=clock,
    )
    return campaign.id


@pytest.mark.asyncio
async def test_greetings_reach_only_consenting_birthday_patients(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(
            uow,
            [
                patient(1, birth_date=BIRTHDAY, marketing=True),
                patient(2, birth_date=BIRTHDAY, marketing=False),
                patient(3, birth_date=BIRTHDAY),
                patient(4, birth_date=date(1980, 11, 26), marketing=True),
                patient(5, birth_date=BIRTHDAY, marketing=True, phone=False),
            ],
        )
        care = await _greeting(uow, clock, CampaignKind.CARE)
        preview = await service.preview_audience(uow, campaign_id=care, clock=clock)
        assert (preview.size, preview.without_channel) == (1, 3)
        started = await service.start_campaign(uow, campaign_id=care, clock=clock, policy=POLICY)
        assert (started.status, started.audience_size) == (CampaignStatus.RUNNING, 1)
        targets = await results.list_targets(uow, campaign_id=care)
        assert [(t.address, t.fields["title"]) for t in targets] == [("+8613900000001", "女士")]
        # A reminder needs no marketing consent: every birthday patient with a phone.
        reminder = await _greeting(uow, clock, CampaignKind.REMINDER)
        preview = await service.preview_audience(uow, campaign_id=reminder, clock=clock)
        assert preview.size == 3
        with pytest.raises(CampaignStateConflict):
            await service.start_campaign(uow, campaign_id=care, clock=clock, policy=POLICY)


@pytest.mark.asyncio
async def test_two_workers_never_claim_the_same_attempt(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(uow, [patient(n, birth_date=BIRTHDAY) for n in range(1, 21)])
        campaign = await survey_campaign(uow, clock)
        await service.start_campaign(uow, campaign_id=campaign.id, clock=clock, policy=POLICY)

    async def claim(worker: str) -> list[int]:
        taken: list[int] = []
        while True:
            async with UnitOfWork(any_engine) as uow:
                work = await attempt_service.claim_attempts(
                    uow,
                    worker=worker,
                    clock=clock,
                    policy=POLICY,
                    limit=3,
                    channels=(Channel.VOICE,),
                )
            if not work:
                return taken
            taken += [item.attempt.attempt_id for item in work]

    first, second = await asyncio.gather(claim("w1"), claim("w2"))
    assert len(first) + len(second) == 20
    assert not set(first) & set(second)
    # A worker that died leaves its rows held until the lease passes, then they are due again.
    async with UnitOfWork(any_engine) as uow:
        assert not await attempt_service.claim_attempts(
            uow, worker="w3", clock=clock, policy=POLICY, limit=50, channels=(Channel.VOICE,)
        )
        clock.advance(POLICY.lease_seconds)
        again = await attempt_service.claim_attempts(
            uow, worker="w3", clock=clock, policy=POLICY, limit=50, channels=(Channel.VOICE,)
        )
        assert len(again) == 20
        # The old holder cannot record over the new one's claim.
        stale = await attempt_service.record_outcome(
            uow,
            work=again[0],
            worker="w1",
            outcome=AttemptOutcome.ANSWERED,
            clock=clock,
            policy=POLICY,
        )
        assert stale is TargetStatus.PENDING
        attempts = await results.list_attempts(uow, campaign_id=campaign.id)
        assert {a["state"] for a in attempts} == {"claimed"}


@pytest.mark.asyncio
async def test_retries_follow_outcomes_until_unreached(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    policy = CampaignPolicy()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(uow, [patient(1, birth_date=BIRTHDAY)])
        campaign = await survey_campaign(uow, clock)
        await service.start_campaign(uow, campaign_id=campaign.id, clock=clock, policy=policy)
        outcomes = [AttemptOutcome.BUSY, AttemptOutcome.NO_ANSWER, AttemptOutcome.NO_ANSWER]
        statuses = []
        for outcome in outcomes:
            (work,) = await attempt_service.claim_attempts(
                uow, worker="w", clock=clock, policy=policy, limit=5, channels=(Channel.VOICE,)
            )
            statuses.append(
                await attempt_service.record_outcome(
                    uow, work=work, worker="w", outcome=outcome, clock=clock, policy=policy
                )
            )
            attempts = await results.list_attempts(uow, campaign_id=campaign.id)
            if statuses[-1] is TargetStatus.PENDING:
                clock.advance((attempts[-1]["due_at"] - clock.now()).total_seconds())
        assert statuses == [TargetStatus.PENDING, TargetStatus.PENDING, TargetStatus.UNREACHED]
        dues = [a["due_at"] for a in attempts]
        start = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
        # Busy: +10 min; no answer: +2 h (09:10 + 2 h is 11:10 in Shanghai, inside the window).
        assert dues == [start, start + timedelta(minutes=10), start + timedelta(minutes=130)]
        assert [a["outcome"] for a in attempts] == ["busy", "no_answer", "no_answer"]
        progress = await results.get_progress(uow, campaign_id=campaign.id)
        assert progress.by_status == {"unreached": 1}
        assert progress.attempts_by_outcome == {"busy": 1, "no_answer": 2}


@pytest.mark.asyncio
async def test_opting_out_stops_calls_of_that_kind_only(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(uow, [patient(1, birth_date=BIRTHDAY), patient(2, birth_date=BIRTHDAY)])
        first = await survey_campaign(uow, clock)
        second = await survey_campaign(uow, clock)
        reminder = await _greeting(uow, clock, CampaignKind.REMINDER)
        await service.start_campaign(uow, campaign_id=first.id, clock=clock, policy=POLICY)
        await service.start_campaign(uow, campaign_id=second.id, clock=clock, policy=POLICY)
        await service.change_status(
            uow, campaign_id=second.id, status=CampaignStatus.PAUSED, clock=clock
        )
        work = await attempt_service.claim_attempts(
            uow, worker="w", clock=clock, policy=POLICY, limit=5, channels=(Channel.VOICE,)
        )
        assert {w.campaign.id for w in work} == {first.id}  # the paused one waits
        opted = next(w for w in work if w.attempt.target.patient_id == 1)
        status = await attempt_service.record_outcome(
            uow,
            work=opted,
            worker="w",
            outcome=AttemptOutcome.OPTED_OUT,
            clock=clock,
            policy=POLICY,
        )
        assert status is TargetStatus.OPTED_OUT
        await service.change_status(
            uow, campaign_id=second.id, status=CampaignStatus.RUNNING, clock=clock
        )
        work = await attempt_service.claim_attempts(
            uow, worker="w", clock=clock, policy=POLICY, limit=5, channels=(Channel.VOICE,)
        )
        # Patient 1's attempt in the second survey is skipped, not dialled.
        assert [w.attempt.target.patient_id for w in work] == [2]
        targets = await results.list_targets(uow, campaign_id=second.id)
        assert [t.status for t in targets] == [TargetStatus.SKIPPED, TargetStatus.PENDING]
        preview = await service.preview_audience(uow, campaign_id=reminder, clock=clock)
        assert (preview.size, preview.do_not_call) == (2, 0)


@pytest.mark.asyncio
async def test_closed_window_puts_the_attempt_back_until_it_opens(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(datetime(2026, 11, 25, 4, 30, tzinfo=UTC))  # 12:30, lunch
    async with UnitOfWork(any_engine) as uow:
        await add_patients(uow, [patient(1, birth_date=BIRTHDAY)])
        campaign = await survey_campaign(uow, clock)
        await service.start_campaign(uow, campaign_id=campaign.id, clock=clock, policy=POLICY)
        (attempt,) = await results.list_attempts(uow, campaign_id=campaign.id)
        assert attempt["due_at"] == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 14:00
        assert not await attempt_service.claim_attempts(
            uow, worker="w", clock=clock, policy=POLICY, limit=5, channels=(Channel.VOICE,)
        )
        clock.advance(90 * 60)
        assert (
            len(
                await attempt_service.claim_attempts(
                    uow, worker="w", clock=clock, policy=POLICY, limit=5, channels=(Channel.VOICE,)
                )
            )
            == 1
        )


@pytest.mark.asyncio
async def test_web_survey_answers_follow_branches_and_export(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(uow, [patient(1, birth_date=BIRTHDAY), patient(2, birth_date=BIRTHDAY)])
        campaign = await survey_campaign(uow, clock)
        await service.start_campaign(uow, campaign_id=campaign.id, clock=clock, policy=POLICY)
        one, two = await results.list_targets(uow, campaign_id=campaign.id)
        await results.submit_survey(
            uow, token=one.token, answers={"overall": "5", "again": "1"}, comment="", clock=clock
        )
        with pytest.raises(InvalidCampaign):
            await results.submit_survey(
                uow,
                token=two.token,
                answers={"overall": "5", "again": "2"},
                comment="",
                clock=clock,
            )
        await results.submit_survey(
            uow,
            token=two.token,
            answers={"overall": "3", "again": "no", "why": "1"},
            comment="",
            clock=clock,
        )
        with pytest.raises(InvalidCampaign):
            await results.submit_survey(
                uow,
                token=one.token,
                answers={"overall": "1", "again": "1"},
                comment="",
                clock=clock,
            )
        progress = await results.get_progress(uow, campaign_id=campaign.id)
        assert progress.answers == {
            "overall": {"5": 1, "3": 1},
            "again": {"yes": 1, "no": 1},
            "why": {"1": 1},
        }
        assert progress.reach_rate == 1.0
        lines = (await results.export_csv(uow, campaign_id=campaign.id, staff_id=None)).splitlines()
        assert lines[0].split(",")[-4:] == ["overall", "again", "why", "comment"]
        assert lines[1].endswith("reached,0,,5,yes,,")
        assert "患者" not in "".join(lines)
