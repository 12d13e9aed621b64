"""Render a fax document (title and body, Chinese or English) to ITU-T T.4 TIFF pages.

Fax machines take 1-bit pages 1728 pixels wide (the T.4 A4 scan line) at 204 x 196 dpi
("fine" resolution), compressed as Group 3 (T.4 one-dimensional MH), which is what
HylaFAX's sendfax and email-to-fax gateways accept without converting.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PAGE_WIDTH = 1728
PAGE_HEIGHT = 2292  # 297 mm at 196 lines per inch
DPI = (204, 196)
MARGIN = 100
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
# Latin words stay whole; every other character (a Chinese character) may end a line.
_TOKENS = re.compile(r"[A-Za-z0-9'’.,;:!?\"()/%+\-]+|\s|.", re.DOTALL)
# Chinese typesetting never starts a line with closing punctuation; it hangs in the margin.
_NO_LINE_START = set("。，、；：！？）」』》〉”’")


class FontMissing(RuntimeError):
    """The CJK font is not installed (Debian package fonts-wqy-zenhei)."""


@lru_cache(maxsize=8)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    if not Path(path).exists():
        raise FontMissing(f"fax font {path} is missing; install fonts-wqy-zenhei")
    return ImageFont.truetype(path, size)


def wrap_text(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` pixels."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for token in _TOKENS.findall(paragraph):
            if font.getlength(line + token) <= width or (token in _NO_LINE_START and line):
                line += token
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = "" if token.isspace() else token
            while font.getlength(line) > width:  # a word wider than the page
                cut = max(1, len(line) - 1)
                while cut > 1 and font.getlength(line[:cut]) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def _pages(title: str, body: str, font_path: str) -> list[Image.Image]:
    title_font, body_font = _font(font_path, 64), _font(font_path, 40)
    usable = PAGE_WIDTH - 2 * MARGIN
    items = [(line, title_font, 84) for line in wrap_text(title, title_font, usable)]
    items.append(("", body_font, 40))
    items += [(line, body_font, 58) for line in wrap_text(body, body_font, usable)]
    pages: list[Image.Image] = []
    page, draw, y = None, None, PAGE_HEIGHT
    for line, font, height in items:
        if page is None or draw is None or y + height > PAGE_HEIGHT - MARGIN:
            page = Image.new("1", (PAGE_WIDTH, PAGE_HEIGHT), 1)
            draw = ImageDraw.Draw(page)
            pages.append(page)
            y = MARGIN
        draw.text((MARGIN, y), line, font=font, fill=0)
        y += height
    return pages


def render_fax(title: str, body: str, *, font_path: Path = CJK_FONT) -> bytes:
    """Return a multi-page G3 TIFF of the document."""
    pages = _pages(title, body, str(font_path))
    out = io.BytesIO()
    pages[0].save(
        out, format="TIFF", compression="group3", dpi=DPI, save_all=True, append_images=pages[1:]
    )
    return out.getvalue()
