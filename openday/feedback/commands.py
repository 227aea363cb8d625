"""`flask --app wsgi openday invite-to-rate`: the day-after invitations to rate a visit (SPEC
§13), for the worker to run daily (or more often: each booking is invited once)."""
from __future__ import annotations

import click

from openday.cli import openday_cli
from openday.feedback.service import send_feedback_invitations


@openday_cli.command("invite-to-rate")
def invite_to_rate_command() -> None:
    """Invite yesterday's checked-in visitors to rate their visit, each once."""
    click.echo(f"{send_feedback_invitations()} invitation(s) to rate sent.")
