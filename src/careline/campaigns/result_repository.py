"""SQL of survey answers and what a campaign's results read from them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.campaigns.records import Comment, Progress
from careline.campaigns.tables import (
    campaign_answers as _ANS,
)
from careline.campaigns.tables import (
    campaign_attempts as _ATT,
)
from careline.campaigns.tables import (
    campaign_targets as _T,
)


class ResultRepository:
    """Survey answers, comments and the progress counts of a campaign."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def save_answer(
        self,
        *,
        target_id: int,
        campaign_id: int,
        question_key: str,
        answer: str,
        recording: str | None,
        now: datetime,
    ) -> bool:
        """Store one answer; False when the question was already answered."""
        exists = await self.conn.execute(
            sa.select(_ANS.c.id).where(
                _ANS.c.target_id == target_id, _ANS.c.question_key == question_key
            )
        )
        if exists.first() is not None:
            return False
        await self.conn.execute(
            _ANS.insert().values(
                target_id=target_id,
                campaign_id=campaign_id,
                question_key=question_key,
                answer=answer,
                recording=recording,
                at=now,
            )
        )
        return True

    async def answers_of(self, target_id: int) -> dict[str, str]:
        """The answers one patient gave, by question key."""
        query = sa.select(_ANS.c.question_key, _ANS.c.answer).where(_ANS.c.target_id == target_id)
        return {row.question_key: row.answer for row in await self.conn.execute(query)}

    async def progress(self, campaign_id: int, comment_key: str) -> Progress:
        """Targets by status, attempts by outcome and answer counts of a campaign."""
        status_rows = await self.conn.execute(
            sa.select(_T.c.status, sa.func.count())
            .where(_T.c.campaign_id == campaign_id)
            .group_by(_T.c.status)
        )
        by_status = {row[0]: int(row[1]) for row in status_rows}
        outcome_rows = await self.conn.execute(
            sa.select(_ATT.c.outcome, sa.func.count())
            .where(_ATT.c.campaign_id == campaign_id, _ATT.c.outcome.is_not(None))
            .group_by(_ATT.c.outcome)
        )
        answer_rows = await self.conn.execute(
            sa.select(_ANS.c.question_key, _ANS.c.answer, sa.func.count())
            .where(_ANS.c.campaign_id == campaign_id, _ANS.c.question_key != comment_key)
            .group_by(_ANS.c.question_key, _ANS.c.answer)
        )
        answers: dict[str, dict[str, int]] = {}
        for key, answer, count in answer_rows:
            answers.setdefault(key, {})[answer] = int(count)
        return Progress(
            targets=sum(by_status.values()),
            by_status=by_status,
            attempts_by_outcome={row[0]: int(row[1]) for row in outcome_rows},
            answers=answers,
        )

    async def comments(self, campaign_id: int, comment_key: str) -> list[Comment]:
        """Survey comments of a campaign, newest first."""
        query = (
            sa.select(_ANS)
            .where(_ANS.c.campaign_id == campaign_id, _ANS.c.question_key == comment_key)
            .order_by(_ANS.c.at.desc())
        )
        return [
            Comment(row.target_id, row.answer, row.recording, row.at)
            for row in await self.conn.execute(query)
        ]

    async def all_answers(self, campaign_id: int) -> dict[int, dict[str, str]]:
        """Answers of every target of a campaign (for the CSV export)."""
        query = sa.select(_ANS.c.target_id, _ANS.c.question_key, _ANS.c.answer).where(
            _ANS.c.campaign_id == campaign_id
        )
        found: dict[int, dict[str, str]] = {}
        for row in await self.conn.execute(query):
            found.setdefault(row.target_id, {})[row.question_key] = row.answer
        return found
