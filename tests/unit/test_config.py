from pathlib import Path

import pytest

from careline.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "CARELINE_HTTP_PORT",
        "CARELINE_TIMEZONE",
        "CARELINE_LANGUAGE",
        "CARELINE_DATABASE_URL",
        "CARELINE_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARELINE_CONFIG", str(tmp_path / "careline.toml"))


def test_defaults_match_the_documented_ones() -> None:
    settings = load_settings()
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8000)
    assert (settings.sip_host, settings.sip_port) == ("127.0.0.1", 5060)
    assert settings.timezone == "Asia/Shanghai"
    assert settings.language == "zh-CN"
    assert settings.data_dir == Path("var")
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_database_url.endswith("var/careline.db")


def test_environment_overrides_toml_and_cli_overrides_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "careline.toml").write_text('http_port = 8100\nlanguage = "en"\n')
    assert load_settings().http_port == 8100
    assert load_settings().language == "en"
    monkeypatch.setenv("CARELINE_HTTP_PORT", "8200")
    assert load_settings().http_port == 8200
    assert load_settings(http_port=8300).http_port == 8300
    assert load_settings(http_port=None).http_port == 8200


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("CARELINE_HTTP_PORT", "eighty", "CARELINE_HTTP_PORT"),
        ("CARELINE_HTTP_PORT", "70000", "CARELINE_HTTP_PORT"),
        ("CARELINE_TIMEZONE", "Mars/Olympus", "CARELINE_TIMEZONE"),
        ("CARELINE_LANGUAGE", "fr", "CARELINE_LANGUAGE"),
        ("CARELINE_DATABASE_URL", "mysql://x", "CARELINE_DATABASE_URL"),
    ],
)
def test_invalid_setting_fails_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert named in message
    assert "\n" not in message


def test_rtp_range_must_be_ordered() -> None:
    with pytest.raises(SettingsError, match="RTP_PORT_MIN"):
        load_settings(rtp_port_min=30000, rtp_port_max=20000)
