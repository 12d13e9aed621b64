import asyncio
from pathlib import Path

import numpy as np
import pytest

from careline.speech import (
    InvalidRecording,
    Language,
    RecordingLibrary,
    Speaker,
    SynthesisFailed,
    UnknownPrompt,
)
from careline.speech.wav import encode_wav
from tests.unit.speech.speech_fakes import FakeEngine

ZH, EN = Language.ZH, Language.EN


def recording(seconds: float = 0.5, rate: int = 8000, value: int = 9000) -> bytes:
    return encode_wav(np.full(int(rate * seconds), value, np.int16), rate)


@pytest.mark.asyncio
async def test_render_returns_8k_int16_of_the_expected_length(
    speaker: Speaker, engine: FakeEngine
) -> None:
    pcm = await speaker.render("hello", "en")
    assert pcm.dtype == np.int16
    assert pcm.size == 800  # 5 characters x 20 ms at 8 kHz
    assert not pcm.flags.writeable
    assert engine.calls == [("hello", "en", speaker.rate)]


@pytest.mark.asyncio
async def test_languages_pick_their_voices(speaker: Speaker, engine: FakeEngine) -> None:
    await speaker.render("您好", ZH)
    await speaker.render("hello", EN)
    assert [voice for _, voice, _ in engine.calls] == ["cmn-latn-pinyin", "en"]


@pytest.mark.asyncio
async def test_second_render_comes_from_memory_then_disk(
    tmp_path: Path, speaker: Speaker, engine: FakeEngine
) -> None:
    first = await speaker.render("hello  there", EN)
    again = await speaker.render("hello there", EN)  # same text once whitespace is cleaned
    assert again is first
    assert len(engine.calls) == 1
    assert speaker.stats.memory_hits == 1

    restarted = Speaker(tmp_path / "cache", engine=engine)
    from_disk = await restarted.render("hello there", EN)
    np.testing.assert_array_equal(from_disk, first)
    assert len(engine.calls) == 1
    assert restarted.stats.disk_hits == 1


@pytest.mark.asyncio
async def test_concurrent_renders_of_one_text_share_one_synthesis(
    speaker: Speaker, engine: FakeEngine
) -> None:
    engine.gate = asyncio.Event()
    renders = [asyncio.create_task(speaker.render("same words", EN)) for _ in range(5)]
    await engine.started.wait()
    engine.gate.set()
    results = await asyncio.gather(*renders)
    assert len(engine.calls) == 1
    assert all(result is results[0] for result in results)


@pytest.mark.asyncio
async def test_a_caller_hanging_up_does_not_cancel_the_render_for_others(
    speaker: Speaker, engine: FakeEngine
) -> None:
    engine.gate = asyncio.Event()
    leaving = asyncio.create_task(speaker.render("shared", EN))
    staying = asyncio.create_task(speaker.render("shared", EN))
    await engine.started.wait()
    leaving.cancel()
    engine.gate.set()
    assert (await staying).size == 960
    assert leaving.cancelled()
    assert len(engine.calls) == 1


@pytest.mark.asyncio
async def test_engine_failure_reaches_the_caller_and_is_not_cached(
    tmp_path: Path, speaker: Speaker, engine: FakeEngine
) -> None:
    engine.fail_on = "broken"
    with pytest.raises(SynthesisFailed):
        await speaker.render("broken text", EN)
    engine.fail_on = None
    assert (await speaker.render("broken text", EN)).size > 0
    assert len(engine.calls) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("text", ["", "   \n "])
async def test_empty_text_is_refused(speaker: Speaker, text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        await speaker.render(text, EN)


@pytest.mark.asyncio
async def test_prompt_uses_catalogue_text_per_language(
    speaker: Speaker, engine: FakeEngine
) -> None:
    await speaker.prompt("welcome", ZH)
    await speaker.prompt("welcome", EN)
    assert [text for text, _, _ in engine.calls] == ["欢迎致电。", "Welcome."]
    with pytest.raises(UnknownPrompt):
        await speaker.prompt("no_such_prompt", EN)


@pytest.mark.asyncio
async def test_recording_takes_precedence_over_synthesis_for_its_language_only(
    speaker: Speaker, engine: FakeEngine
) -> None:
    stored = await speaker.store_recording("welcome", ZH, recording(value=9000))
    assert stored.size == 4000
    zh = await speaker.prompt("welcome", ZH)
    np.testing.assert_array_equal(zh, stored)
    await speaker.prompt("welcome", EN)
    assert [text for text, _, _ in engine.calls] == ["Welcome."]
    assert speaker.stats.recordings == 1


@pytest.mark.asyncio
async def test_a_recording_without_catalogue_text_is_still_a_prompt(speaker: Speaker) -> None:
    await speaker.store_recording("holiday_notice", EN, recording())
    assert (await speaker.prompt("holiday_notice", EN)).size == 4000


@pytest.mark.asyncio
async def test_uploads_at_other_rates_are_converted_to_8k(tmp_path: Path, speaker: Speaker) -> None:
    await speaker.store_recording("welcome", EN, recording(seconds=1.0, rate=44100))
    saved = (tmp_path / "recordings" / "en" / "welcome.wav").read_bytes()
    assert int.from_bytes(saved[24:28], "little") == 8000
    pcm = await speaker.prompt("welcome", EN)
    assert pcm.size == 8000
    assert abs(int(pcm[4000]) - 9000) <= 2  # a constant level survives the conversion


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not audio at all", "not a playable WAV"),
        (recording(seconds=0.05), "too short"),
        (recording(seconds=0.5, value=0), "silent"),
    ],
)
async def test_invalid_uploads_are_rejected_and_not_saved(
    tmp_path: Path, speaker: Speaker, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidRecording, match=message) as refused:
        await speaker.store_recording("welcome", EN, data)
    assert refused.value.error_id == "invalid_recording"
    assert refused.value.status_code == 422
    assert not (tmp_path / "recordings" / "en" / "welcome.wav").exists()


@pytest.mark.asyncio
@pytest.mark.parametrize("prompt_id", ["../escape", "Welcome", "a/b", "", "x" * 65])
async def test_upload_prompt_ids_must_be_safe_file_names(speaker: Speaker, prompt_id: str) -> None:
    with pytest.raises(InvalidRecording, match="prompt id"):
        await speaker.store_recording(prompt_id, EN, recording())


@pytest.mark.asyncio
async def test_a_replaced_recording_is_picked_up_without_restart(
    tmp_path: Path, speaker: Speaker
) -> None:
    await speaker.store_recording("welcome", EN, recording(seconds=0.5))
    assert (await speaker.prompt("welcome", EN)).size == 4000
    path = tmp_path / "recordings" / "en" / "welcome.wav"
    path.write_bytes(recording(seconds=0.25))  # as another process would
    assert (await speaker.prompt("welcome", EN)).size == 2000


@pytest.mark.asyncio
async def test_an_unplayable_file_on_disk_falls_back_to_synthesis(
    tmp_path: Path, speaker: Speaker, engine: FakeEngine
) -> None:
    folder = tmp_path / "recordings" / "en"
    folder.mkdir(parents=True)
    (folder / "welcome.wav").write_bytes(b"garbage")
    pcm = await speaker.prompt("welcome", EN)
    assert pcm.size == 160 * 8  # "Welcome." synthesised
    await speaker.prompt("welcome", EN)
    assert [text for text, _, _ in engine.calls] == ["Welcome."]


@pytest.mark.asyncio
async def test_warm_up_renders_every_prompt_and_reports_failures(
    speaker: Speaker, engine: FakeEngine
) -> None:
    engine.fail_on = "Welcome"
    result = await speaker.warm_up()
    expected = len(speaker.catalog) * 2
    assert result.ready == expected - 1
    assert list(result.failures) == ["welcome/en"]
    assert len(engine.calls) == expected
    engine.calls.clear()
    engine.fail_on = None
    again = await speaker.warm_up(["welcome", "goodbye"], languages=["zh-CN"])
    assert again.ready == 2
    assert engine.calls == []


@pytest.mark.asyncio
async def test_without_a_recordings_directory_uploads_are_refused(
    tmp_path: Path, engine: FakeEngine
) -> None:
    speaker = Speaker(tmp_path / "cache", engine=engine)
    with pytest.raises(InvalidRecording, match="no recordings directory"):
        await speaker.store_recording("welcome", EN, recording())


@pytest.mark.asyncio
async def test_personal_text_can_be_kept_off_the_disk(
    tmp_path: Path, speaker: Speaker, engine: FakeEngine
) -> None:
    first = await speaker.render("张伟您好", ZH, persist=False)
    assert await speaker.render("张伟您好", ZH, persist=False) is first
    assert len(engine.calls) == 1
    assert not list((tmp_path / "cache").rglob("*.wav"))


def test_recording_library_lists_and_removes_recordings(tmp_path: Path) -> None:
    library = RecordingLibrary(tmp_path)
    library.store("welcome", ZH, recording())
    library.store("goodbye", EN, recording())
    (tmp_path / "en" / "Not A Prompt.wav").write_bytes(recording())
    assert library.available() == [("welcome", ZH), ("goodbye", EN)]
    assert library.path_for("welcome", "zh") == tmp_path / "zh-CN" / "welcome.wav"
    assert library.remove("welcome", ZH)
    assert not library.remove("welcome", ZH)
    assert library.load("welcome", ZH) is None
    assert library.version("welcome", ZH) is None


def test_a_broken_file_in_the_library_is_reported_with_its_path(tmp_path: Path) -> None:
    library = RecordingLibrary(tmp_path)
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "welcome.wav").write_bytes(b"RIFF")
    with pytest.raises(InvalidRecording, match=r"en/welcome\.wav: recording is not a playable"):
        library.load("welcome", EN)
