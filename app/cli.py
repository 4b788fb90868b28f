"""Command-line tasks: ``flask --app app migrate``, ``territory create``, ``platform-admin``,
``demo load``."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app

from app.accounts.services import create_territory_with_admin, grant_platform_admin
from app.config import ROOT
from app.demo.load import load_demo
from app.privacy.retention import run_retention
from app.territories.services import TerritoryError


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["sqlalchemy_url"] = url
    return config


def migrate_database(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def register_cli(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate() -> None:
        """Bring the database schema up to date (Alembic)."""
        migrate_database(current_app.config["SQLALCHEMY_URL"])
        click.echo("database is up to date")

    @app.cli.group("territory")
    def territory_group() -> None:
        """Manage territories."""

    @territory_group.command("create")
    @click.option("--slug", required=True, help="Short name, e.g. laciotat")
    @click.option("--name", required=True, help="Displayed name, e.g. 'La Ciotat'")
    @click.option("--host", "hosts", multiple=True, required=True, help="Host name (repeatable)")
    @click.option("--admin-email", required=True)
    @click.option("--admin-password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--timezone", default="Europe/Paris")
    @click.option("--language", default="fr", type=click.Choice(["fr", "nl", "en"]))
    @click.option("--lat", type=float, default=0.0)
    @click.option("--lon", type=float, default=0.0)
    def territory_create(**options: object) -> None:
        """Create a territory, its default hashtag catalogue and its first admin."""
        try:
            territory = create_territory_with_admin(**options)  # type: ignore[arg-type]
        except TerritoryError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"territory {territory.slug} created (id {territory.id})")

    @app.cli.command("platform-admin")
    @click.argument("email")
    @click.option("--territory", "territory_slug", required=True, help="Slug of the account's territory")
    def platform_admin(email: str, territory_slug: str) -> None:
        """Make an existing account a platform administrator (and its territory's admin); it
        must then set up two-factor log-in before it can reach anything else."""

        try:
            user = grant_platform_admin(territory_slug, email)
        except LookupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(
            f"account {user.id} is now a platform administrator; "
            "it will set up two-factor log-in at its next log-in"
        )

    @app.cli.group("demo")
    def demo_group() -> None:
        """Demo data."""

    @demo_group.command("load")
    @click.option("--reset", is_flag=True, help="Delete the demo territories first")
    def demo_load(reset: bool) -> None:
        """Load the two demo territories (idempotent)."""

        for line in load_demo(reset=reset):
            click.echo(line)

    @app.cli.group("privacy")
    def privacy_group() -> None:
        """Privacy: retention."""

    @privacy_group.command("retention")
    def privacy_retention() -> None:
        """Apply the retention rules now (the worker does it every hour)."""

        for name, count in run_retention().items():
            click.echo(f"{name}: {count}")
