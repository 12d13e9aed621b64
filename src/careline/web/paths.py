"""Where the web package keeps its files."""

from pathlib import Path

WEB = Path(__file__).parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
