import struct

import numpy as np
import numpy.typing as npt
import pytest

from careline.speech.resample import resample, to_int16
from careline.speech.wav import InvalidAudio, encode_wav, read_wav, wav_to_telephone_pcm


def tone(
    frequency: float, rate: int, seconds: float = 0.5, level: float = 0.5
) -> npt.NDArray[np.float32]:
    t = np.arange(int(rate * seconds)) / rate
    return (level * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def level_db(samples: npt.NDArray[np.float32], level: float = 0.5) -> float:
    middle = samples[200:-200]  # leave out the filter's start-up at both ends
    return float(20 * np.log10(np.sqrt(2) * middle.std() / level + 1e-12))


def wav_bytes(
    body: bytes,
    *,
    tag: int = 1,
    channels: int = 1,
    rate: int = 8000,
    bits: int = 16,
    data_size: int | None = None,
) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    size = len(body) if data_size is None else data_size
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


@pytest.mark.parametrize("rate_in", [22050, 44100, 48000, 16000, 11025])
def test_resampling_to_8k_keeps_the_telephone_band(rate_in: int) -> None:
    for frequency in (300, 1000, 3400):
        out = resample(tone(frequency, rate_in), rate_in)
        assert len(out) == 4000
        assert abs(level_db(out)) < 0.1, frequency


@pytest.mark.parametrize("rate_in", [22050, 44100, 16000])
def test_resampling_to_8k_rejects_what_would_alias(rate_in: int) -> None:
    for frequency in (4200, 5000, 7000):
        out = resample(tone(frequency, rate_in), rate_in)
        assert level_db(out) < -55, frequency


def test_resampling_up_from_a_lower_rate_keeps_the_tone_frequency() -> None:
    out = resample(tone(1000, 6000), 6000)
    assert len(out) == 4000
    spectrum = np.abs(np.fft.rfft(out[200:-200]))
    peak_hz = np.argmax(spectrum) * 8000 / (len(out) - 400)
    assert abs(peak_hz - 1000) < 10
    assert abs(level_db(out)) < 0.1


def test_same_rate_is_a_copy_and_bad_rates_are_refused() -> None:
    samples = tone(440, 8000)
    out = resample(samples, 8000)
    assert out is not samples
    np.testing.assert_array_equal(out, samples)
    with pytest.raises(ValueError, match="positive"):
        resample(samples, 0)


def test_to_int16_clips_instead_of_wrapping() -> None:
    np.testing.assert_array_equal(
        to_int16(np.array([1.5, -1.5, 0.5], np.float32)), np.array([32767, -32768, 16384])
    )


def test_eight_khz_16_bit_mono_passes_through_unchanged() -> None:
    pcm = np.array([0, 1, -1, 32767, -32768, 1234], dtype=np.int16)
    decoded = wav_to_telephone_pcm(encode_wav(pcm))
    assert decoded.dtype == np.int16
    np.testing.assert_array_equal(decoded, pcm)


def test_streamed_header_with_placeholder_sizes_is_read_to_the_end() -> None:
    # espeak-ng --stdout cannot seek back, so it declares 0x7ffff000 bytes of data.
    body = to_int16(tone(500, 22050, 0.2)).tobytes()
    data = wav_bytes(body, rate=22050, data_size=0x7FFFF000)
    samples, rate = read_wav(data)
    assert rate == 22050
    assert len(samples) == len(body) // 2
    assert len(wav_to_telephone_pcm(data)) == 1600


def test_stereo_is_mixed_down_and_odd_formats_decode() -> None:
    left, right = np.full(800, 16384, np.int16), np.full(800, -16384, np.int16)
    stereo = np.stack([left, right], axis=1).tobytes()
    assert not wav_to_telephone_pcm(wav_bytes(stereo, channels=2)).any()
    eight_bit = bytes([128 + 64]) * 800
    assert set(wav_to_telephone_pcm(wav_bytes(eight_bit, bits=8)).tolist()) == {16384}
    twenty_four = (b"\x00\x00\xc0") * 800  # -0.5 full scale
    assert set(wav_to_telephone_pcm(wav_bytes(twenty_four, bits=24)).tolist()) == {-16384}
    floats = np.full(800, 0.25, np.float32).tobytes()
    assert set(wav_to_telephone_pcm(wav_bytes(floats, tag=3, bits=32)).tolist()) == {8192}


@pytest.mark.parametrize(
    ("tag", "code", "sample"),
    [
        (7, 0xFF, 0),  # mu-law: 0xFF is +0
        (7, 0x80, 32124),  # mu-law: largest positive
        (7, 0x00, -32124),
        (6, 0xD5, 8),  # A-law: a set sign bit is positive
        (6, 0x55, -8),
        (6, 0xAA, 32256),
        (6, 0x2A, -32256),
    ],
)
def test_g711_wav_files_decode_to_the_standard_values(tag: int, code: int, sample: int) -> None:
    decoded = wav_to_telephone_pcm(wav_bytes(bytes([code]) * 8, tag=tag, bits=8))
    assert decoded.tolist() == [sample] * 8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no RIFF"),
        (b"ID3\x04" + b"\x00" * 100, "no RIFF"),
        (b"RIFF\x00\x00\x00\x00WAVE", "no fmt or no data"),
        (wav_bytes(b"\x00" * 8, tag=2, bits=4), "sample size"),
        (wav_bytes(b"\x00" * 8, tag=85, bits=16), "encoding"),
        (wav_bytes(b"\x00" * 8, channels=0), "layout"),
        (wav_bytes(b"\x00" * 8, rate=100), "layout"),
        (wav_bytes(np.full(4, np.nan, np.float32).tobytes(), tag=3, bits=32), "non-finite"),
    ],
)
def test_unplayable_files_are_rejected_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(InvalidAudio, match=message):
        wav_to_telephone_pcm(data)


def test_data_before_fmt_is_rejected() -> None:
    good = wav_bytes(b"\x00" * 8)
    fmt_chunk, data_chunk = good[12:36], good[36:]
    with pytest.raises(InvalidAudio, match="before its fmt"):
        wav_to_telephone_pcm(good[:12] + data_chunk + fmt_chunk)
