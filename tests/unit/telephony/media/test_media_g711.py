"""G.711 tables against ITU-T G.711 reference values, polarity and round trips."""

import numpy as np
import pytest

from careline.telephony.media.g711 import (
    ALAW_DECODE,
    ULAW_DECODE,
    Codec,
    decode,
    encode,
    transcode,
)


@pytest.mark.parametrize(
    ("code", "linear"),
    [(0x00, -32124), (0x80, 32124), (0xFF, 0), (0x7F, 0), (0xFE, 8), (0x7E, -8), (0xCE, 988)],
)
def test_ulaw_decodes_to_reference_values(code: int, linear: int) -> None:
    assert ULAW_DECODE[code] == linear


@pytest.mark.parametrize(
    ("code", "linear"),
    [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256), (0xFA, 1008), (0x7A, -1008)],
)
def test_alaw_decodes_to_reference_values(code: int, linear: int) -> None:
    assert ALAW_DECODE[code] == linear


@pytest.mark.parametrize(
    ("codec", "samples", "codes"),
    [
        (Codec.PCMU, [0, 1000, -1000, 32767, -32768], [0xFF, 0xCE, 0x4E, 0x80, 0x00]),
        (Codec.PCMA, [0, 1000, -1000, 32767, -32768], [0xD5, 0xFA, 0x7A, 0xAA, 0x2A]),
    ],
)
def test_encode_matches_reference_codes(codec: Codec, samples: list[int], codes: list[int]) -> None:
    assert encode(codec, np.array(samples, dtype=np.int16)) == bytes(codes)


def test_alaw_sign_bit_set_means_positive() -> None:
    positive = encode(Codec.PCMA, np.array([5000], dtype=np.int16))[0]
    negative = encode(Codec.PCMA, np.array([-5000], dtype=np.int16))[0]
    assert positive & 0x80
    assert not negative & 0x80
    assert decode(Codec.PCMA, bytes([positive]))[0] > 0


@pytest.mark.parametrize("codec", list(Codec))
def test_every_code_round_trips(codec: Codec) -> None:
    codes = bytes(range(256))
    again = encode(codec, decode(codec, codes))
    differing = [c for c, d in zip(codes, again, strict=True) if c != d]
    # µ-law has two zeros (0x7F "negative zero" decodes to 0, which encodes as 0xFF).
    assert differing == ([0x7F] if codec is Codec.PCMU else [])


@pytest.mark.parametrize("codec", list(Codec))
def test_encoding_keeps_a_sine_close(codec: Codec) -> None:
    t = np.arange(800) / 8000
    pcm = (12000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    again = decode(codec, encode(codec, pcm)).astype(np.float64)
    error = again - pcm
    snr = 10 * np.log10(np.sum(pcm.astype(np.float64) ** 2) / np.sum(error**2))
    assert snr > 30
    assert np.corrcoef(again, pcm)[0, 1] > 0.999


def test_transcode_keeps_sign_and_level() -> None:
    pcm = np.array([-20000, -300, 0, 300, 20000], dtype=np.int16)
    mulaw = transcode(Codec.PCMA, Codec.PCMU, encode(Codec.PCMA, pcm))
    assert np.allclose(decode(Codec.PCMU, mulaw), pcm, rtol=0.08, atol=16)
    back = transcode(Codec.PCMU, Codec.PCMA, encode(Codec.PCMU, pcm))
    assert np.allclose(decode(Codec.PCMA, back), pcm, rtol=0.08, atol=16)
    assert transcode(Codec.PCMU, Codec.PCMU, b"\x01\x02") == b"\x01\x02"
