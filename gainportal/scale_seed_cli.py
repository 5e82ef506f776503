"""``gainportal seed-scale``: registered from cli.py."""
from __future__ import annotations

import time

import click


@click.command("seed-scale")
@click.option("--national", "size", flag_value="national", help="4,772 operations, 100,000 requests, 2,000 users")
@click.option("--regional", "size", flag_value="regional", help="about 1/20 of national, for quick runs")
@click.option("--scale", type=float, default=None, help="any fraction of national, e.g. 0.01")
@click.option("--seed", type=int, default=8, show_default=True, help="random seed (same seed, same data)")
@click.option("--credentials", type=click.Path(dir_okay=False), default=None,
              help="where to write sign-in details for load tests (default instance/scale-users.json)")
def seed_scale_command(size: str | None, scale: float | None, seed: int, credentials: str | None) -> None:
    """Seed synthetic national-scale data (resumable: run again to continue)."""
    from pathlib import Path

    from gainportal import create_app
    from gainportal.db import db_session
    from gainportal.scale_seed import Sizes, run

    if scale is not None and size:
        raise click.UsageError("Use --national, --regional or --scale, not more than one")
    sizes = (Sizes.scaled(scale) if scale is not None else Sizes.national() if size == "national"
             else Sizes.regional() if size == "regional" else None)
    if sizes is None:
        raise click.UsageError("Choose a size: --national, --regional or --scale 0.01")
    app = create_app()
    with app.app_context():
        settings = app.config["SETTINGS"]
        path = Path(credentials) if credentials else Path(settings.instance_path) / "scale-users.json"
        click.echo(f"Seeding {sizes} (seed {seed}) into {app.extensions['gainportal_db'].engine.url.render_as_string(hide_password=True)}")
        t0 = time.perf_counter()
        timings = run(db_session(), sizes, seed=seed, credentials=path)
        total = time.perf_counter() - t0
    for phase, seconds in timings.items():
        click.echo(f"  {phase:10} {seconds:8.1f} s")
    click.echo(f"Done in {total:.1f} s. Sign-in details for load tests: {path} (mode 0600)")
