"""``demo``: the sandbox shops backfilled, the programme applied, a sync — what `make demo` runs."""

from __future__ import annotations

__all__ = ["demo"]

import shutil
import sys
from datetime import datetime

import click

from .common import Context, common_options, errors, json_option, now_option, pass_context
from .output import echo_lines, to_json
from .progress import Progress


@click.command()
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--customers", type=click.IntRange(1), default=1500, show_default=True, help="Per shop.")
@click.option("--orders", type=click.IntRange(0), default=10000, show_default=True, help="Per shop.")
@click.option(
    "--adapter", "adapters", multiple=True, help="Only these sandboxes [default: magento, shopware]."
)
@click.option("--workers", type=click.IntRange(1, 8), default=1, show_default=True)
@now_option
@json_option
@common_options
@pass_context
def demo(
    context: Context,
    seed: int,
    customers: int,
    orders: int,
    adapters: tuple[str, ...],
    workers: int,
    now: datetime | None,
    as_json: bool,
) -> None:
    """Sandbox shops: backfill, what each rule did, the programme applied, a sync (`make demo`).

    Uses the sample programme shipped with the package (the repository's examples/loyalty.yaml), or
    --config, with the sandboxes as its sources, from any directory; a temporary store unless --store
    is given. Referral and coupon codes use a fixed demo secret, never a real one.
    """
    from .. import demo as demo_lib

    settings = demo_lib.DemoSettings(
        program_path=context.config if context.config_given else None,
        seed=seed,
        customers=customers,
        orders=orders,
        adapters=adapters or ("magento", "shopware"),
        store=context.store_path,
        now=now,
        workers=workers,
    )
    expected = customers + orders + orders // 10
    bars: list[Progress] = []

    def progress(source: str) -> Progress | None:
        if as_json:
            return None
        bars.append(Progress(source, expected=expected, interval=10.0))
        return bars[-1]

    def show(event: demo_lib.DemoEvent) -> None:
        for bar in bars:
            bar.close()
        if not as_json:
            echo_lines(demo_lib.render_event(event, _width()))

    with errors():
        result = demo_lib.run_demo(settings, on_event=show, on_progress=progress)
    if as_json:
        click.echo(to_json(demo_lib.result_dict(result)))
    else:
        echo_lines(demo_lib.render_footer(result))


def _width() -> int:
    return shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 0
