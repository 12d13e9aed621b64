"""The ``careline`` command: serve, migrate, demo data, accounts, imports, test calls."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from careline.config import Settings, SettingsError, load_settings
from careline.logging import configure_logging

T = TypeVar("T")

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Careline hospital contact center."
)
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
user_app = typer.Typer(no_args_is_help=True, help="Staff accounts.")
patients_app = typer.Typer(no_args_is_help=True, help="Patient records.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(patients_app, name="patients")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Overrides CARELINE_DATA_DIR.")]
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Overrides CARELINE_DATABASE_URL.")
]


def settings_from(**overrides: Any) -> Settings:
    """Load settings with CLI overrides, or exit with one line naming the bad setting."""
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(f"careline: {exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, stream=sys.stderr)
    return settings


def run(coroutine_factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on uvloop."""
    import uvloop

    async def main() -> T:
        return await coroutine_factory()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())


@app.command()
def serve(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    host: Annotated[str | None, typer.Option(help="Overrides CARELINE_HTTP_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides CARELINE_HTTP_PORT.")] = None,
    sip_host: Annotated[str | None, typer.Option(help="Overrides CARELINE_SIP_HOST.")] = None,
    sip_port: Annotated[int | None, typer.Option(help="Overrides CARELINE_SIP_PORT.")] = None,
    voice: Annotated[bool, typer.Option(help="Answer the phone line (SIP) too.")] = True,
    voice_workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Voice worker processes behind the SIP port (UDP and TCP; keep 1 for"
            " the agents' queues).",
        ),
    ] = 1,
) -> None:
    """Run the web server and the phone line in the foreground."""
    from careline.serve import serve_forever

    settings = settings_from(
        data_dir=data_dir,
        database_url=database_url,
        http_host=host,
        http_port=port,
        sip_host=sip_host,
        sip_port=sip_port,
    )
    run(lambda: serve_forever(settings, voice=voice, voice_workers=voice_workers))


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration."""
    from careline.bootstrap import bootstrap
    from careline.db.migrate import current_revision, upgrade

    settings = settings_from(data_dir=data_dir, database_url=database_url)

    async def go() -> str | None:
        careline = bootstrap(settings)
        try:
            await upgrade(careline.engine)
            return await current_revision(careline.engine)
        finally:
            await careline.close()

    typer.echo(f"database at revision {run(go)}")


@app.command()
def demo(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    patients: Annotated[int, typer.Option(min=0, help="Synthetic patients to create.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed for reproducible data.")] = 2026,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when a hospital is already loaded.")
    ] = False,
) -> None:
    """Load the demo hospital and print the staff passwords once."""
    from careline.seed import seed_demo

    settings = settings_from(data_dir=data_dir, database_url=database_url)
    report = run(lambda: seed_demo(settings, patients=patients, seed=seed, if_empty=if_empty))
    typer.echo(report)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[list[str], typer.Option("--role", help="Role; repeat for several.")],
    display_name: Annotated[str | None, typer.Option(help="Name shown to colleagues.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a staff account; the password is read from stdin or prompted for."""
    from careline.bootstrap import bootstrap
    from careline.staff import service
    from careline.staff.model import Role, StaffError

    settings = settings_from(data_dir=data_dir, database_url=database_url)
    try:
        roles = frozenset(Role(r) for r in role)
    except ValueError:
        typer.echo(f"careline: roles are {', '.join(r.value for r in Role)}", err=True)
        raise typer.Exit(2) from None
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")

    async def go() -> None:
        careline = bootstrap(settings)
        try:
            async with careline.uow() as uow:
                await service.create_staff(
                    uow,
                    username=username,
                    display_name=display_name or username,
                    roles=roles,
                    password=password,
                    clock=careline.clock,
                )
        finally:
            await careline.close()

    try:
        run(go)
    except StaffError as exc:
        typer.echo(f"careline: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created {username} ({', '.join(sorted(roles))})")


@patients_app.command("import")
def patients_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import patients from a CSV file; bad rows are reported, good rows kept."""
    from rich.progress import Progress

    from careline.seed import import_patients_csv

    settings = settings_from(data_dir=data_dir, database_url=database_url)
    with file.open("rb") as handle:
        total = max(sum(1 for _ in handle) - 1, 0)
    with Progress(transient=True) as bar:
        task = bar.add_task("importing", total=total)
        report = run(
            lambda: import_patients_csv(
                settings, file, progress=lambda done: bar.update(task, completed=done.rows)
            )
        )
    for line in report.problems:
        typer.echo(line, err=True)
    typer.echo(report.summary)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def call(
    uri: Annotated[str, typer.Argument(help="Who to call, e.g. sip:100@127.0.0.1:5060")],
    digits: Annotated[str, typer.Option(help="Keys to send; a comma waits one second.")] = "",
    record: Annotated[Path | None, typer.Option(help="Write what was heard to this WAV.")] = None,
    seconds: Annotated[float, typer.Option(help="Hang up after this long.")] = 20.0,
) -> None:
    """Place a test call, send digits, record what was heard and print the events."""
    from careline.telephony.callcli import place_test_call

    settings = settings_from()
    code = run(
        lambda: place_test_call(
            settings, uri, digits=digits, record=record, seconds=seconds, echo=typer.echo
        )
    )
    raise typer.Exit(code)


def main() -> None:
    app()
