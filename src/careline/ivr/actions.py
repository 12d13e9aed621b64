"""Actions of the flow: language, goodbye, and hospital information read from the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from careline.directory import service as directory
from careline.directory.model import Department, DirectoryError, Doctor
from careline.ivr.registry import action
from careline.ivr.service import remember_language
from careline.ivr.session import CallSession, EndOfCall
from careline.speech import phrases

PAGE = 8  # keys 1-8 choose, 9 turns the page
MORE_KEY = "9"
MAX_CODE_DIGITS = 12
HOSPITAL_ZONE = ZoneInfo("Asia/Shanghai")


def zone_of(session: CallSession) -> ZoneInfo:
    zone = session.clock.zone
    return zone if isinstance(zone, ZoneInfo) else HOSPITAL_ZONE


async def pick(session: CallSession, prompt_id: str, labels: Sequence[str]) -> int:
    """Offer labels as a spoken menu, eight at a time; return the chosen index."""
    first = 0
    while True:
        page = labels[first : first + PAGE]
        options = [
            phrases.menu_option(str(index + 1), label, session.language)
            for index, label in enumerate(page)
        ]
        more = first + PAGE < len(labels)
        if more:
            options.append(session.flow.text("more_options", session.language))
        allowed = [str(index + 1) for index in range(len(page))] + ([MORE_KEY] if more else [])
        separator = "，" if session.language == "zh-CN" else ". "
        key = await session.choose(prompt_id, allowed, options=separator.join(options))
        if key == MORE_KEY:
            first += PAGE
            continue
        return first + int(key) - 1


@action("set_language")
async def set_language(session: CallSession, args: Mapping[str, str]) -> str | None:
    """Switch the call's language and remember it for the caller's next call."""
    session.language = args.get("language", "zh-CN")
    async with session.uow() as uow:
        await remember_language(
            uow, caller=session.call.caller, language=session.language, clock=session.clock
        )
    return None


@action("goodbye", prompts=("goodbye",))
async def goodbye(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Thank the caller and hang up."""
    await session.say("goodbye")
    raise EndOfCall()


@action("departments", prompts=("pick_department", "more_options", "department_info", "none"))
async def departments(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Read a department's location, hours, phone and introduction."""
    async with session.uow() as uow:
        found = await directory.list_departments(uow)
    if not found:
        await session.say("none")
        return None
    chosen = found[
        await pick(session, "pick_department", [d.name(session.language) for d in found])
    ]
    await say_department(session, chosen)
    session.served = True
    return None


async def say_department(session: CallSession, department: Department) -> None:
    lang = session.language
    phone = phrases.phone_number(department.phone, lang) if department.phone else "-"
    await session.say(
        "department_info",
        name=department.name(lang),
        location=department.location or "-",
        hours=department.opening_hours or "-",
        phone=phone,
        introduction=department.description(lang) or "-",
    )


@action(
    "doctor_info",
    prompts=("ask_doctor_number", "doctor_unknown", "doctor_info", "clinic_day", "no_clinic"),
)
async def doctor_info(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Read a doctor's introduction and clinic sessions this week, by doctor number."""
    doctor = await ask_doctor(session)
    async with session.uow() as uow:
        week = await directory.doctor_week(
            uow, doctor_id=doctor.id, first_day=session.clock.today(), zone=zone_of(session), days=7
        )
    lang = session.language
    await session.say(
        "doctor_info",
        name=doctor.display_name(lang),
        title=doctor.title.label(lang),
        department=week.department.name(lang),
        introduction=(doctor.introduction_zh if lang == "zh-CN" else doctor.introduction_en) or "-",
    )
    running = [s for s in week.sessions if not s.cancelled]
    if not running:
        await session.say("no_clinic")
    for clinic in running:
        spoken = await session.say(
            "clinic_day",
            day=phrases.date_phrase(clinic.day, lang),
            period=clinic.period.label(lang),
        )
        if spoken:
            break
    session.served = True
    return None


async def ask_doctor(session: CallSession) -> Doctor:
    """Ask for a doctor's number until one is found (three failures reach an agent)."""
    failures = 0
    while True:
        number = await session.ask_digits("ask_doctor_number", max_digits=MAX_CODE_DIGITS)
        try:
            async with session.uow() as uow:
                return await directory.doctor_by_number(uow, doctor_number=number)
        except DirectoryError:
            failures = await session.retry_or_agent(failures)
            await session.say("doctor_unknown", number=phrases.digits(number, session.language))


@action("drug_info", prompts=("ask_drug_code", "drug_unknown", "drug_info"))
async def drug_info(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Read a drug's name, specification, price and usage by its code."""
    failures = 0
    lang = session.language
    while True:
        code = await session.ask_digits("ask_drug_code", max_digits=MAX_CODE_DIGITS)
        try:
            async with session.uow() as uow:
                drug = await directory.drug_by_code(uow, code=code)
        except DirectoryError:
            failures = await session.retry_or_agent(failures)
            await session.say("drug_unknown", code=phrases.digits(code, lang))
            continue
        await session.say(
            "drug_info",
            name=drug.name(lang),
            specification=drug.specification,
            price=phrases.money(drug.price, lang),
            unit=drug.unit,
            usage=drug.usage_notes or "-",
        )
        session.served = True
        return None


@action("instructions", prompts=("pick_topic", "more_options", "read_text", "none"))
async def instructions(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Offer the visit instructions in the caller's language and read the chosen one."""
    async with session.uow() as uow:
        found = await directory.list_instructions(uow, language=session.language)
    return await _read_one(session, [(item.title, item.body) for item in found])


@action("articles", prompts=("pick_topic", "more_options", "read_text", "none"))
async def articles(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Offer the latest health articles in the caller's language and read the chosen one."""
    async with session.uow() as uow:
        found = await directory.list_articles(uow, language=session.language, limit=24)
    return await _read_one(session, [(item.title, item.body) for item in found])


async def _read_one(session: CallSession, items: list[tuple[str, str]]) -> str | None:
    if not items:
        await session.say("none")
        return None
    title, body = items[await pick(session, "pick_topic", [title for title, _ in items])]
    await session.say("read_text", title=title, body=body[:3000])
    session.served = True
    return None
