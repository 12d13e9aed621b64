"""Use cases around answers and results: survey answers, opt-outs, progress, CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from careline.campaigns.attempt_repository import AttemptRepository
from careline.campaigns.model import CampaignNotFound, InvalidCampaign, TargetStatus
from careline.campaigns.records import Campaign, Comment, Progress, Target
from careline.campaigns.repository import CampaignRepository
from careline.campaigns.result_repository import ResultRepository
from careline.campaigns.service import COMMENT_KEY, get_campaign
from careline.campaigns.survey import Questionnaire
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.staff.audit import record_access

MAX_COMMENT = 1000


async def record_answer(
    uow: UnitOfWork,
    *,
    target: Target,
    question_key: str,
    answer: str,
    clock: Clock,
    recording: str | None = None,
) -> bool:
    """Store one survey answer (the first answer to a question is kept)."""
    stored = await ResultRepository(uow.connection).save_answer(
        target_id=target.id,
        campaign_id=target.campaign_id,
        question_key=question_key,
        answer=answer,
        recording=recording,
        now=clock.now(),
    )
    await uow.commit()
    return stored


async def get_progress(uow: UnitOfWork, *, campaign_id: int) -> Progress:
    """Targets by status, attempts by outcome and answer counts."""
    await get_campaign(uow, campaign_id=campaign_id)
    return await ResultRepository(uow.connection).progress(campaign_id, COMMENT_KEY)


async def list_comments(uow: UnitOfWork, *, campaign_id: int) -> list[Comment]:
    """Survey comments, recorded or typed."""
    return await ResultRepository(uow.connection).comments(campaign_id, COMMENT_KEY)


async def list_targets(uow: UnitOfWork, *, campaign_id: int) -> list[Target]:
    """Every patient of a campaign with their status."""
    return await CampaignRepository(uow.connection).targets(campaign_id)


async def list_attempts(uow: UnitOfWork, *, campaign_id: int) -> list[dict[str, Any]]:
    """Every attempt of a campaign."""
    return await AttemptRepository(uow.connection).attempts(campaign_id)


async def export_csv(uow: UnitOfWork, *, campaign_id: int, staff_id: int | None) -> str:
    """One CSV line per patient: ids, channel, status, attempts and answers (no names)."""
    campaign = await get_campaign(uow, campaign_id=campaign_id)
    repo = CampaignRepository(uow.connection)
    result_repo = ResultRepository(uow.connection)
    # The file lists patient ids with their answers: the export itself is audited.
    await record_access(
        uow.connection,
        staff_id=staff_id,
        action="export",
        subject="campaign",
        subject_id=campaign_id,
        context="campaign results CSV",
    )
    await uow.commit()
    answers = await result_repo.all_answers(campaign_id)
    keys = [q.key for q in campaign.questionnaire.questions] if campaign.questionnaire else []
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["target_id", "patient_id", "channel", "status", "attempts", "last_outcome"]
    writer.writerow([*header, *keys, COMMENT_KEY] if keys else header)
    for target in await repo.targets(campaign_id):
        row: list[object] = [
            target.id,
            target.patient_id,
            target.channel.value,
            target.status.value,
            target.attempts,
            target.last_outcome or "",
        ]
        if keys:
            given = answers.get(target.id, {})
            row += [given.get(key, "") for key in [*keys, COMMENT_KEY]]
        writer.writerow(row)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class SurveyForm:
    """What the web survey page shows for one link."""

    campaign: Campaign
    target: Target
    questionnaire: Questionnaire
    answered: bool


async def open_survey(uow: UnitOfWork, *, token: str) -> SurveyForm:
    """Find the survey behind a link sent by SMS or email."""
    repo = CampaignRepository(uow.connection)
    target = await repo.target_by_token(token)
    if target is None:
        raise CampaignNotFound("This survey link is not valid.")
    campaign = await get_campaign(uow, campaign_id=target.campaign_id)
    if campaign.questionnaire is None:
        raise CampaignNotFound("This survey link is not valid.")
    answered = bool(await ResultRepository(uow.connection).answers_of(target.id))
    return SurveyForm(campaign, target, campaign.questionnaire, answered)


async def submit_survey(
    uow: UnitOfWork, *, token: str, answers: dict[str, str], comment: str, clock: Clock
) -> None:
    """Store the answers given on the web form, following the questionnaire's branches."""
    form = await open_survey(uow, token=token)
    if form.answered:
        raise InvalidCampaign("This survey has already been answered.")
    result_repo = ResultRepository(uow.connection)
    now = clock.now()
    for key, given in _walk(form.questionnaire, answers):
        await result_repo.save_answer(
            target_id=form.target.id,
            campaign_id=form.target.campaign_id,
            question_key=key,
            answer=given,
            recording=None,
            now=now,
        )
    if form.questionnaire.comment and comment.strip():
        await result_repo.save_answer(
            target_id=form.target.id,
            campaign_id=form.target.campaign_id,
            question_key=COMMENT_KEY,
            answer=comment.strip()[:MAX_COMMENT],
            recording=None,
            now=now,
        )
    await CampaignRepository(uow.connection).update_target(
        form.target.id, status=TargetStatus.REACHED.value, finished_at=now
    )
    await uow.commit()


def _walk(questionnaire: Questionnaire, answers: dict[str, str]) -> list[tuple[str, str]]:
    """Check every answer on the questionnaire's path before anything is stored."""
    path: list[tuple[str, str]] = []
    question = questionnaire.first()
    while question is not None:
        given = question.accept(answers.get(question.key, ""))
        if given is None:
            raise InvalidCampaign("Please answer every question.", field=question.key)
        path.append((question.key, given))
        question = questionnaire.next_after(question, given)
    return path
