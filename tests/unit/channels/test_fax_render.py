"""Fax documents become 1-bit Group 3 TIFF pages at fax resolution."""

from __future__ import annotations

import io

from PIL import Image, ImageFont

from careline.channels.fax.render import CJK_FONT, PAGE_WIDTH, render_fax, wrap_text


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_pages_are_1_bit_group3_at_fax_resolution() -> None:
    image = _open(render_fax("门诊须知", "请携带身份证和医保卡。Bring your ID card."))
    assert image.format == "TIFF"
    assert image.mode == "1"
    assert image.size[0] == PAGE_WIDTH == 1728
    assert image.info["compression"] == "group3"
    assert image.info["dpi"] == (204, 196)


def test_long_documents_span_several_pages() -> None:
    image = _open(render_fax("Notice", "请按时就诊。\n" * 40))
    assert getattr(image, "n_frames", 1) == 2
    image.seek(1)
    assert image.info["compression"] == "group3"


def test_chinese_characters_are_drawn_with_real_glyphs() -> None:
    # A missing CJK font draws every character as the same empty box.
    first = _open(render_fax("门", ""))
    second = _open(render_fax("诊", ""))
    assert first.tobytes() != second.tobytes()
    assert first.convert("L").getextrema()[0] == 0


def test_lines_wrap_inside_the_page_and_keep_english_words_whole() -> None:
    font = ImageFont.truetype(str(CJK_FONT), 40)
    lines = wrap_text("appointment " * 40, font, 600)
    assert all(font.getlength(line) <= 600 for line in lines)
    assert all(word == "appointment" for line in lines for word in line.split())


def test_closing_punctuation_never_starts_a_line() -> None:
    font = ImageFont.truetype(str(CJK_FONT), 40)
    lines = wrap_text("请于就诊前一天携带身份证。" * 12, font, 400)
    assert not any(line.startswith("。") for line in lines)
