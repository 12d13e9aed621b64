"""The careline command as an operator uses it, in a subprocess."""

import subprocess
from pathlib import Path

from tests.support.server import CARELINE, server_env


def careline(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CARELINE, *args],
        env=server_env(tmp_path, **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_invalid_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = careline(tmp_path, "db", "upgrade", CARELINE_HTTP_PORT="not-a-port")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "CARELINE_HTTP_PORT" in lines[0]


def test_user_add_reads_the_password_from_stdin_and_refuses_duplicates(tmp_path: Path) -> None:
    assert careline(tmp_path, "db", "upgrade").returncode == 0
    created = careline(
        tmp_path,
        "user",
        "add",
        "li.ming",
        "--role",
        "agent",
        "--role",
        "supervisor",
        stdin="a-long-secret-password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "li.ming" in created.stdout
    again = careline(
        tmp_path, "user", "add", "li.ming", "--role", "agent", stdin="another-long-password\n"
    )
    assert again.returncode == 1
    assert "already in use" in again.stderr


def test_user_add_refuses_an_unknown_role_and_a_short_password(tmp_path: Path) -> None:
    assert careline(tmp_path, "db", "upgrade").returncode == 0
    bad_role = careline(
        tmp_path, "user", "add", "x.y", "--role", "janitor", stdin="long-enough-pw\n"
    )
    assert bad_role.returncode == 2
    assert "roles are" in bad_role.stderr
    short = careline(tmp_path, "user", "add", "x.y", "--role", "agent", stdin="short\n")
    assert short.returncode == 1
    assert "at least 10 characters" in short.stderr


def test_patients_import_keeps_good_rows_reports_bad_ones_and_does_not_duplicate(
    tmp_path: Path,
) -> None:
    assert careline(tmp_path, "db", "upgrade").returncode == 0
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(
        "姓名,手机,身份证号,出生日期\n"
        "张伟,13800138000,110101199003074514,1990-03-07\n"
        "李娜,12345,,1985-01-01\n"
        "王芳,13900139000,110101199003074515,1990-03-07\n"
        "赵磊,13700137000,,1988-02-30\n"
        "陈静,13600136000,,1992-05-06\n",
        encoding="utf-8",
    )
    first = careline(tmp_path, "patients", "import", str(csv_file))
    assert first.returncode == 1  # some rows failed
    problems = [line for line in first.stderr.splitlines() if line.startswith("line ")]
    assert {p.split()[1].rstrip(":") for p in problems} == {"3", "4", "5"}
    assert "2 created" in first.stdout
    again = careline(tmp_path, "patients", "import", str(csv_file))
    assert "0 created" in again.stdout
    assert "2 already on record" in again.stdout
