"""The library of reusable message templates and questionnaires campaigns copy from."""

from __future__ import annotations

from dataclasses import dataclass

from careline.campaigns.model import InvalidCampaign, MessageTemplate
from careline.campaigns.repository import LibraryRepository
from careline.campaigns.survey import Questionnaire, questionnaire_from_data, questionnaire_to_data
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock


@dataclass(frozen=True, slots=True)
class SavedTemplate:
    id: int
    name: str
    template: MessageTemplate


@dataclass(frozen=True, slots=True)
class SavedQuestionnaire:
    id: int
    name: str
    questionnaire: Questionnaire


def _name(name: str) -> str:
    if not name.strip() or len(name) > 120:
        raise InvalidCampaign("The campaign needs a name of at most 120 characters.", field="name")
    return name.strip()


async def save_template(
    uow: UnitOfWork, *, name: str, template: MessageTemplate, clock: Clock
) -> SavedTemplate:
    """Add a message template to the library."""
    template.validate()
    clean = _name(name)
    template_id = await LibraryRepository(uow.connection).add_template(
        {
            "name": clean,
            "body_zh": template.body_zh,
            "body_en": template.body_en,
            "subject_zh": template.subject_zh,
            "subject_en": template.subject_en,
            "created_at": clock.now(),
        }
    )
    if template_id is None:
        raise InvalidCampaign("A template with this name exists.", field="name")
    await uow.commit()
    return SavedTemplate(template_id, clean, template)


async def list_templates(uow: UnitOfWork) -> list[SavedTemplate]:
    """Every saved template, by name."""
    rows = await LibraryRepository(uow.connection).templates()
    return [SavedTemplate(*row) for row in rows]


async def save_questionnaire(
    uow: UnitOfWork, *, name: str, questionnaire: Questionnaire, clock: Clock
) -> SavedQuestionnaire:
    """Add a questionnaire to the library."""
    questionnaire.validate()
    if not questionnaire.questions:
        raise InvalidCampaign("A survey needs at least one question.", field="questions")
    clean = _name(name)
    saved_id = await LibraryRepository(uow.connection).add_questionnaire(
        clean, questionnaire_to_data(questionnaire), clock.now()
    )
    if saved_id is None:
        raise InvalidCampaign("A questionnaire with this name exists.", field="name")
    await uow.commit()
    return SavedQuestionnaire(saved_id, clean, questionnaire)


async def list_questionnaires(uow: UnitOfWork) -> list[SavedQuestionnaire]:
    """Every saved questionnaire, by name."""
    rows = await LibraryRepository(uow.connection).questionnaires()
    return [SavedQuestionnaire(i, n, questionnaire_from_data(d)) for i, n, d in rows]
