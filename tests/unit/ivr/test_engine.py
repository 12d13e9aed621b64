"""The engine's common behaviour, with a scripted call on a real (SQLite) database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.directory import service as directory
from careline.ivr.engine import IvrEngine
from careline.ivr.model import Outcome
from careline.ivr.session import handoff_context
from careline.telephony.calls import TelephonyError
from tests.unit.ivr.conftest import RunCall
from tests.unit.ivr.fakes import FakeCall, seed_hospital, seed_patient

MAIN_ZH = "医院信息查询请按1"
MAIN_EN = "For hospital information, press 1"


@pytest.mark.asyncio
async def test_star_repeats_the_menu_and_hash_says_goodbye(run_call: RunCall) -> None:
    call, record = await run_call(["1", "*", "#"])
    assert sum(MAIN_ZH in text for text in call.spoken) == 2
    assert call.heard("感谢您的来电")
    assert call.hung_up
    assert record.path == ("language", "lang_zh", "main", "bye")
    assert record.keys == "1*#"
    assert record.prompts[-1] == "goodbye"
    assert record.outcome is Outcome.ABANDONED  # nothing was served


@pytest.mark.asyncio
async def test_zero_hands_the_call_to_the_queue_with_its_context(run_call: RunCall) -> None:
    call, record = await run_call(["2", "1", "0"])
    assert call.queued == ["general"]
    context = handoff_context(call)
    assert context is not None
    assert context.language == "en"
    assert context.menu_path == ("language", "lang_en", "main", "info")
    assert context.reason == "caller_request"
    assert record.outcome is Outcome.TO_AGENT
    assert call.heard("Connecting you to an agent")


@pytest.mark.asyncio
async def test_two_reprompts_then_the_agent(run_call: RunCall) -> None:
    call, record = await run_call(["1", "", "7", ""])
    assert call.heard("没有收到您的按键")
    assert call.heard("您的输入有误")
    assert call.queued == ["general"]
    context = handoff_context(call)
    assert context is not None
    assert context.reason == "no_input"
    assert record.prompts.count("main_menu") == 3
    assert record.outcome is Outcome.TO_AGENT


@pytest.mark.asyncio
async def test_caller_hanging_up_leaves_an_abandoned_record(run_call: RunCall) -> None:
    _, record = await run_call([])
    assert record.outcome is Outcome.ABANDONED
    assert record.caller == "13800138000"
    assert record.prompts == ("greeting", "choose_language")


@pytest.mark.asyncio
async def test_known_caller_is_greeted_by_title(run_call: RunCall, engine: AsyncEngine) -> None:
    patient_id = await seed_patient(engine)
    call, record = await run_call([])
    assert call.spoken[0].startswith("王女士，您好")
    assert record.patient_id == patient_id
    assert record.prompts[0] == "greeting_known"


@pytest.mark.asyncio
async def test_unknown_caller_gets_the_plain_greeting(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    await seed_patient(engine)
    call, record = await run_call([], caller="13900139000")
    assert call.spoken[0].startswith("您好，欢迎")
    assert record.patient_id is None


@pytest.mark.asyncio
async def test_language_is_remembered_for_the_next_call(run_call: RunCall) -> None:
    await run_call(["2", "#"])
    call, record = await run_call(["#"])
    assert record.path[0] == "main"
    assert record.language == "en"
    assert call.heard(MAIN_EN)
    assert call.heard("Thank you for calling")


@pytest.mark.asyncio
async def test_a_withheld_number_still_gets_served(run_call: RunCall) -> None:
    call, record = await run_call(["1", "#"], caller="")
    assert call.heard(MAIN_ZH)
    assert record.caller == ""


class NoQueueCall(FakeCall):
    async def transfer_to_queue(self, queue: str) -> None:  # noqa: ARG002
        raise TelephonyError("no agent queue configured")


@pytest.mark.asyncio
async def test_without_agents_the_caller_is_told_and_released(ivr: IvrEngine) -> None:
    call = NoQueueCall(["1", "0"])
    await ivr(call)
    assert call.heard("人工服务暂时无法接通")
    assert call.hung_up


@pytest.mark.asyncio
async def test_edited_prompt_text_reaches_the_next_call(ivr: IvrEngine, run_call: RunCall) -> None:
    ivr.store.save_texts({"greeting": {"zh-CN": "您好，这里是测试医院。"}})
    call, _ = await run_call([])
    assert call.spoken[0] == "您好，这里是测试医院。"
    ivr.store.save_texts({"greeting": {"zh-CN": "您好，欢迎致电医院服务热线。"}})
    call, _ = await run_call([])
    assert call.spoken[0] == "您好，欢迎致电医院服务热线。"
    assert ivr.store.edited_texts() == {}


@pytest.mark.asyncio
async def test_information_menu_reads_a_department(run_call: RunCall, engine: AsyncEngine) -> None:
    await seed_hospital(engine)
    call, record = await run_call(["1", "1", "1", "1"])
    assert call.heard("心血管内科请按一")
    assert call.heard("门诊楼三层")
    assert call.heard("零二幺幺二三四五六七八")
    assert record.outcome is Outcome.SELF_SERVED
    assert "department_info" in record.prompts


@pytest.mark.asyncio
async def test_doctor_introduction_and_clinics_this_week(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    await seed_hospital(engine)
    call, record = await run_call(["2", "1", "2", "1001"])
    assert call.heard("Li Ming, Chief Physician, Cardiology")
    assert call.heard("Hypertension.")
    # FakeClock's day is Wednesday 25 November 2026: Friday's clinic is this week.
    assert call.heard("Clinic on Friday, November twenty-seventh, Morning")
    assert call.heard("Clinic on Monday, November thirtieth, Morning")
    assert record.prompts.count("clinic_day") >= 1


@pytest.mark.asyncio
async def test_visit_instructions_are_read(run_call: RunCall, engine: AsyncEngine) -> None:
    await seed_hospital(engine)
    call, _ = await run_call(["1", "1", "3", "1"])
    assert call.heard("就诊流程。先挂号，再就诊。")


@pytest.mark.asyncio
async def test_drug_by_code_reads_name_price_and_usage(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    await seed_hospital(engine)
    call, record = await run_call(["2", "1", "5", "860001"])
    assert call.heard("Amoxicillin")
    assert call.heard("twelve yuan fifty")
    assert record.outcome is Outcome.SELF_SERVED


@pytest.mark.asyncio
async def test_invalid_drug_code_is_explained_then_agent(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    await seed_hospital(engine)
    call, record = await run_call(["1", "1", "5", "999", "998", "997"])
    assert call.heard("没有编码为九九九的药品")
    assert call.heard("没有编码为九九八的药品")
    assert call.queued == ["general"]
    context = handoff_context(call)
    assert context is not None
    assert context.menu_path[-1] == "info_drug"
    assert record.outcome is Outcome.TO_AGENT


@pytest.mark.asyncio
async def test_a_failing_service_hands_the_caller_to_an_agent(
    run_call: RunCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database away")

    monkeypatch.setattr(directory, "list_departments", broken)
    call, record = await run_call(["1", "1", "1"])
    assert call.queued == ["general"]
    context = handoff_context(call)
    assert context is not None
    assert context.reason == "error"
    assert record.outcome is Outcome.TO_AGENT
