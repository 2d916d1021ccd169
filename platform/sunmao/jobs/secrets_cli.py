"""``sunmao secret``: set, list, rotate and delete the secrets that metadata refers to by name."""

from __future__ import annotations

import sys

import click

from sunmao.console import command_runtime
from sunmao.jobs.secrets import SecretKeyError, SecretStore, check_name, generate_webhook_secret, secret_store


def _store() -> SecretStore:
    try:
        return secret_store(command_runtime().db)
    except SecretKeyError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("secret")
def command() -> None:
    """Manage secrets (webhook signing keys, robot keys, channel tokens), stored encrypted."""


@command.command("set")
@click.argument("name")
@click.option("--generate", is_flag=True, help="generate a Standard Webhooks secret (whsec_...) and print it once")
@click.option("--replace", is_flag=True, help="drop the old value at once instead of keeping it during a rotation")
def set_secret(name: str, generate: bool, replace: bool) -> None:
    """Set secret NAME; the value is read from standard input, or asked for without echo."""
    try:
        check_name(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if generate:
        value = generate_webhook_secret()
    elif sys.stdin.isatty():
        value = click.prompt(f"Value of {name}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read().strip()
    if not value:
        raise click.ClickException("no value given (pipe it in, e.g. `printf %s KEY | sunmao secret set NAME`)")
    _store().set(name, value, keep_previous=not replace, by="cli")
    if generate:
        click.echo(value)
        click.echo(f"Secret {name} set; give the value above to the receiver (it is not shown again).", err=True)
    else:
        click.echo(f"Secret {name} set.")


@command.command("list")
def list_secrets() -> None:
    """List the names of the secrets that are set (never their values)."""
    for name in _store().names():
        click.echo(name)


@command.command("retire")
@click.argument("name")
def retire(name: str) -> None:
    """End a rotation of NAME: stop accepting its previous value."""
    _store().retire(name)
    click.echo(f"Only the current value of {name} is accepted now.")


@command.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    """Delete secret NAME (deliveries that need it are dead-lettered until it is set again)."""
    if not _store().delete(name):
        raise click.ClickException(f"there is no secret named {name!r}")
    click.echo(f"Deleted {name}.")
