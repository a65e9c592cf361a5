"""``quarantine list | retry`` and ``unlock``: records the mapping could not read, and stale run locks."""

from __future__ import annotations

__all__ = ["quarantine", "unlock"]

import dataclasses

import click

from ..adapter import Stream
from ..sync import retry_quarantined
from .common import Context, common_options, errors, fail, json_option, pass_context, source_option
from .output import day, echo_lines, table, to_json


@click.group()
def quarantine() -> None:
    """Records the mapping could not read."""


stream_option = click.option("--stream", type=click.Choice([s.value for s in Stream]), default=None)


@quarantine.command("list")
@source_option
@stream_option
@click.option("--all", "include_resolved", is_flag=True, help="Also records that were read later.")
@click.option("--raw", is_flag=True, help="Include the shop's raw payload in --json (holds personal data).")
@json_option
@common_options
@pass_context
def quarantine_list(
    context: Context,
    source_name: str | None,
    stream: str | None,
    include_resolved: bool,
    raw: bool,
    as_json: bool,
) -> None:
    """Quarantined records with the reason, oldest first."""
    with errors():
        store = context.open_store(create=False)
        try:
            items = store.quarantined(
                source_name, stream=Stream(stream) if stream else None, include_resolved=include_resolved
            )
        finally:
            store.close()
    if as_json:
        rows = [
            {
                **dataclasses.asdict(item),
                "raw": item.raw if raw else None,
                "position": item.position.to_json(),
            }
            for item in items
        ]
        click.echo(to_json({"quarantined": rows}))
        return
    if not items:
        click.echo("nothing quarantined")
        return
    rows_text = [
        (
            i.source,
            i.stream.value,
            i.external_id,
            day(i.first_seen),
            i.attempts,
            "resolved" if i.resolved_at else "open",
            i.reason,
        )
        for i in items
    ]
    echo_lines(
        table(("SOURCE", "STREAM", "ID", "FIRST SEEN", "ATTEMPTS", "STATE", "REASON"), rows_text, "llllr")
    )


@quarantine.command("retry")
@source_option
@stream_option
@click.option("--id", "external_ids", multiple=True, metavar="ID", help="Only these records (repeatable).")
@common_options
@pass_context
def quarantine_retry(
    context: Context, source_name: str | None, stream: str | None, external_ids: tuple[str, ...]
) -> None:
    """Have the next sync read quarantined records again (rewinds the sync checkpoint before them)."""
    with errors():
        store = context.open_store(create=False)
        try:
            open_items = store.quarantined(source_name, stream=Stream(stream) if stream else None)
            names = sorted({i.source for i in open_items})
            if not names:
                click.echo("nothing quarantined")
                return
            for name in names:
                rewound = retry_quarantined(
                    store, name, stream=Stream(stream) if stream else None, external_ids=external_ids or None
                )
                where = ", ".join(f"{s.value} to {c.changed_at.isoformat()}" for s, c in rewound.items())
                count = sum(
                    1
                    for i in open_items
                    if i.source == name and (not external_ids or i.external_id in external_ids)
                )
                click.echo(
                    f"{name}: {count} record(s) marked for retry; "
                    f"sync checkpoint rewound ({where or 'no change'})"
                )
        finally:
            store.close()
    click.echo("run `loyalty-connector sync` to read them again")


@click.command()
@click.argument("source")
@click.option("--force", is_flag=True, help="Remove the lock even if its process still runs on this host.")
@common_options
@pass_context
def unlock(context: Context, source: str, force: bool) -> None:
    """Break SOURCE's lock left by a run that died (its run is marked interrupted)."""
    with errors():
        store = context.open_store(create=False)
        try:
            held = store.lock_of(source)
            if held is None:
                click.echo(f"source {source} is not locked")
                return
            if not force and held.running_here():
                fail(
                    f"the {held.kind} of {source} (pid {held.pid}, since {held.started_at.isoformat()}) "
                    "is still running on this host; stop it first, or pass --force"
                )
            store.break_lock(source)
        finally:
            store.close()
    click.echo(
        f"removed the lock of {source}: {held.kind} run {held.run_id} (pid {held.pid} on {held.host}, "
        f"since {held.started_at.isoformat()}) is marked interrupted"
    )
