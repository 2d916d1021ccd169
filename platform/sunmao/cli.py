"""The ``sunmao`` command: run the server, manage apps, users, tokens and demo data."""

from __future__ import annotations

import os
import random
import secrets
import sys
import time
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa

from sunmao import accounts, assembly
from sunmao.backup import BackupError, backup, restore
from sunmao.clock import today
from sunmao.console import RuntimeMaker, command_runtime
from sunmao.designer import packages
from sunmao.extensions import DemoContext, load_extension
from sunmao.jobs import JobSettings, start_embedded
from sunmao.meta.errors import MetadataError
from sunmao.records import replicate
from sunmao.resources import app_path
from sunmao.runtime import Runtime
from sunmao.storage import system as sm
from sunmao.storage.db import Database
from sunmao.storage.migrate import MigrationRefused
from sunmao.storage.upgrade import current as current_platform_revision

DEMO_MARK = "demo_seeded"


def _runtime() -> Runtime:
    return command_runtime()


def _package(path_or_key: str) -> Path:
    path = Path(path_or_key)
    if path.is_dir():
        return path
    bundled = app_path(path_or_key)
    if bundled.is_dir():
        return bundled
    raise click.BadParameter(f"{path_or_key!r} is neither a directory nor a bundled app")


def _fail_metadata(exc: MetadataError) -> None:
    click.secho(f"The metadata was refused ({len(exc.problems)} problems); nothing was installed:", fg="red", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(2)


@click.group()
@click.version_option(package_name="sunmao")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Sunmao (榫卯): a metadata-driven low-code platform and its order management app.

    The database is DATABASE_URL (default: SQLite at instance/sunmao.db).
    """
    ctx.obj = RuntimeMaker(lambda: assembly.runtime(os.environ.get("DATABASE_URL")))


@main.command()
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="$HOST or 127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int, show_default="$PORT or 5000")
@click.option("--threads", default=8, show_default=True)
def run(host: str, port: int, threads: int) -> None:
    """Serve the web app and API with waitress (the embedded server)."""
    from waitress import serve  # only the server needs it

    runtime = _runtime()
    wsgi = assembly.application(runtime)
    wsgi.current_app()  # build the current version's app before the first request
    settings = JobSettings.from_env()
    if settings.redis_url:
        jobs = f"jobs: RQ at {settings.redis_url} (run `sunmao worker`)"
    elif settings.embedded_enabled:
        start_embedded(runtime, settings)
        jobs = "jobs: embedded runner in this process"
    else:
        jobs = "jobs: off in this process (SUNMAO_JOBS=off; run `sunmao worker`)"
    click.echo(f"Sunmao serving on http://{host}:{port}  (database {runtime.db.url.render_as_string()}; {jobs})")
    serve(wsgi, host=host, port=port, threads=threads, ident="sunmao")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the platform's own tables to this release's revision (idempotent)."""
    runtime = _runtime()
    with runtime.db.read() as conn:
        revision = current_platform_revision(conn)
    click.echo(f"Platform tables are at revision {revision} (this release's newest) in "
               f"{runtime.db.url.render_as_string()}.")


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Back up the database and its stored files into TARGET (a .tar.gz), while the server runs."""
    database = Database(os.environ.get("DATABASE_URL"))
    try:
        manifest = backup(database, target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest.tables.values())
    click.echo(f"Backed up {len(manifest.tables)} tables ({rows} rows) and {manifest.files} files of "
               f"{database.url.render_as_string()} to {target}.")
    if manifest.key_fingerprint:
        click.echo(f"Secrets in it need the secret key with fingerprint {manifest.key_fingerprint}: keep that key "
                   "(SUNMAO_SECRET_KEY or instance/secret.key) safe, apart from the backup.")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the tables of a database that is not empty.")
def restore_command(source: Path, force: bool) -> None:
    """Restore a backup made by `sunmao backup` into DATABASE_URL (an empty database)."""
    database = Database(os.environ.get("DATABASE_URL"))
    try:
        done = restore(database, source, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {len(done.counts)} tables ({sum(done.counts.values())} rows) and {done.files} files "
               f"into {database.url.render_as_string()} from the backup of {done.manifest.created_at}.")
    for warning in done.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)


@main.group()
def app() -> None:
    """Install and export app packages."""


@app.command("install")
@click.argument("path")
@click.option("--take", type=click.Choice(["ours", "theirs"]), default=None,
              help="on an upgrade, who wins each conflict: this plant's changes (ours) or the package's (theirs); "
                   "without it a conflict refuses the install (decide one by one in the designer)")
def app_install(path: str, take: str | None) -> None:
    """Install or upgrade the app package at PATH (a directory, or a bundled app's key).

    An upgrade is merged three ways with this plant's customizations (the designer does the same)."""
    runtime = _runtime()
    try:
        result = packages.install(runtime, _package(path), take=take)
    except MetadataError as exc:
        _fail_metadata(exc)
    except packages.UpgradeConflicts as exc:
        click.secho(f"Refused: {exc.detail.en if exc.detail else exc}", fg="red", err=True)
        for conflict in exc.extra["conflicts"]:
            click.echo(f"  {conflict['document']} {conflict['path']}: this plant has {conflict['ours']!r}, the "
                       f"package {conflict['theirs']!r} (was {conflict['base']!r})", err=True)
        sys.exit(2)
    except MigrationRefused as exc:
        click.secho(f"Refused: {exc}", fg="red", err=True)
        for row in exc.rows:
            click.echo(f"  {row}", err=True)
        sys.exit(2)
    click.echo(f"Published version {result.version}:")
    for step in result.steps:
        click.echo(f"  - {step.text.en}")
    for warning in result.warnings:
        click.secho(f"Warning: {warning.en}", fg="yellow")


@app.command("export")
@click.argument("key")
@click.argument("path", type=click.Path(file_okay=False))
def app_export(key: str, path: str) -> None:
    """Write the published documents of app KEY to the directory PATH (canonical, byte-stable)."""
    try:
        written = packages.export_dir(_runtime(), key, path)
    except MetadataError as exc:
        _fail_metadata(exc)
    click.echo(f"Wrote {len(written)} files to {path}.")


@main.group()
def user() -> None:
    """Manage users."""


@user.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="repeat for several roles")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default=None)
def user_create(name: str, roles: tuple[str, ...], password: str, display_name: str | None) -> None:
    """Create user NAME with the given roles."""
    try:
        accounts.create_user(_runtime().db, name, password, list(roles), display_name=display_name)
    except (ValueError, sa.exc.IntegrityError) as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from None
    click.echo(f"Created user {name} with roles {', '.join(roles)}.")


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="cli", show_default=True, help="what the token is for")
def token_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (it is shown only once)."""
    try:
        click.echo(accounts.create_token(_runtime().db, name, label))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None


def seed_demo(runtime: Runtime, package: Path, seed: int, as_of: date) -> dict[str, int]:
    module = load_extension(package, "demo")
    ctx = DemoContext(runtime.records(), random.Random(seed), as_of, log=lambda m: click.echo(f"  {m}"))
    module.generate(ctx)
    with runtime.db.write() as conn:
        conn.execute(sm.setting.insert().values(key=DEMO_MARK, value=str(seed)))
    return ctx.counts


def _demo_seeded(runtime: Runtime) -> bool:
    with runtime.db.read() as conn:
        return conn.execute(sa.select(sm.setting.c.value).where(sm.setting.c.key == DEMO_MARK)).scalar() is not None


@main.command()
@click.option("--app", "app_dir", default="order_management", show_default=True)
@click.option("--seed", default=20261125, show_default=True)
@click.option("--force", is_flag=True, help="seed again even if demo data exists")
@click.option("--scale", metavar="ENTITY=COUNT", help="then copy ENTITY's records (with the entities the app's "
              "demo module names in SCALE_WITH) until it has COUNT: data for measuring, e.g. order=1000000")
@click.option("--years", default=5, show_default=True, help="spread the copies over this many years back")
def demo(app_dir: str, seed: int, force: bool, scale: str | None, years: int) -> None:
    """Seed the demo data of an app (once), and copy it up to a scale for measuring."""
    runtime = _runtime()
    started = time.perf_counter()
    if _demo_seeded(runtime) and not force:
        click.echo("Demo data is already there (use --force to add another set).")
    else:
        counts = seed_demo(runtime, _package(app_dir), seed, today())
        click.echo(f"Seeded {counts} in {time.perf_counter() - started:.1f} s.")
    if scale:
        _scale(runtime, _package(app_dir), scale, years)


def _scale(runtime: Runtime, package: Path, spec: str, years: int) -> None:
    key, _, count = spec.partition("=")
    snapshot = runtime.snapshot()
    if key not in snapshot.entities or not count.isdigit():
        known = ", ".join(sorted(snapshot.entities))
        raise click.BadParameter(f"ENTITY=COUNT with an entity of this installation ({known}), e.g. order=1000000",
                                 param_hint="--scale")
    along = getattr(load_extension(package, "demo"), "SCALE_WITH", {}).get(key, ())
    entities = [key, *[e for e in along if e in snapshot.entities and e != key]]
    started = time.perf_counter()
    try:
        added = replicate.replicate(runtime.db, snapshot, entities, target=int(count), spread_days=years * 365,
                                    log=lambda m: click.echo(f"  {m}"))
    except ValueError as exc:  # nothing to copy, or a child table named
        raise click.ClickException(str(exc)) from None
    click.echo(f"Copied {', '.join(entities)}: {added} in {time.perf_counter() - started:.1f} s; "
               f"{key} now {replicate.counts(runtime.db, snapshot, [key])[key]}.")


@main.command()
@click.option("--demo/--no-demo", "with_demo", default=True, show_default=True)
def setup(with_demo: bool) -> None:
    """Make a working system in one step: tables, the bundled app, demo data, an admin login."""
    runtime = _runtime()
    if runtime.current_version(fresh=True) is None:
        result = runtime.install_app(app_path("order_management"), by="setup")
        click.echo(f"Installed the order management app as version {result.version}.")
    if with_demo and not _demo_seeded(runtime):
        click.echo("Seeding demo data (once)...")
        started = time.perf_counter()
        counts = seed_demo(runtime, app_path("order_management"), 20261125, today())
        click.echo(f"Seeded {counts} in {time.perf_counter() - started:.1f} s.")
    secret_file = Path("instance/admin-password.txt")
    with runtime.db.read() as conn:
        has_admin = conn.execute(sa.select(sm.user.c.id).where(sm.user.c.username == "admin")).first() is not None
    if not has_admin:  # the password is shown once, when it is made (every `make run` calls setup)
        password = secrets.token_urlsafe(12)
        accounts.create_user(runtime.db, "admin", password, ["admin"], display_name="管理员")
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(password + "\n", encoding="utf-8")
        secret_file.chmod(0o600)
        click.secho(f"Sign in as admin / {password}  (also kept, readable by you only, in {secret_file})",
                    fg="green")
    elif secret_file.exists():
        click.echo(f"Sign in as admin; its first password is in {secret_file}.")
    else:
        click.echo("Sign in as admin (the password was set earlier).")


for _command in assembly.commands():  # the features' own commands (``sunmao worker``, ``sunmao hooks``...)
    main.add_command(_command)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
