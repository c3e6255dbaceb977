"""Flask commands: users, tokens, demo data, the worker, the scheduler, storage."""

import click
from flask import Flask

from mes_web.errors import DomainError
from mes_web.jobs.schedule import PERIODIC
from mes_web.models import Role
from mes_web.services.access import token_create, user_create

ROLE_CHOICE = click.Choice([role.value for role in Role])


def _fail_cleanly(action):
    try:
        return action()
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None


def register_commands(app: Flask) -> None:
    user = click.Group("user", help="People who sign in to the screens.")
    token = click.Group("token", help="API tokens for 1C and other systems.")

    @user.command("create")
    @click.argument("name")
    @click.option("--role", type=ROLE_CHOICE, required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def user_create_command(name: str, role: str, password: str):
        """Create a user."""
        _fail_cleanly(lambda: user_create(username=name, password=password, role=role))
        click.echo(f"Пользователь {name} ({role}) создан.")

    @token.command("create")
    @click.argument("name")
    @click.option("--role", type=ROLE_CHOICE, required=True)
    def token_create_command(name: str, role: str):
        """Create an API token; the token is the last line printed."""
        plaintext = _fail_cleanly(lambda: token_create(name=name, role=role))
        click.echo(f"Токен {name} ({role}); сохраните его, повторно он не показывается:")
        click.echo(plaintext)

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load demo data once and print a demo login and a fresh API token."""
        from mes_web.services.demo import DEMO_PASSWORD, demo_seed, demo_users_ensure

        click.echo("Демо-данные загружены." if demo_seed() else "Демо-данные уже есть; не трогаю.")
        demo_users_ensure()
        plaintext = token_create(name="demo", role=Role.SUPERVISOR.value, revoke_same_name=True)
        click.echo(f"Вход: supervisor / {DEMO_PASSWORD} (также operator и admin с тем же паролем)")
        click.echo(f"API-токен (supervisor): {plaintext}")

    @app.cli.command("run-periodic")
    @click.argument("name", type=click.Choice(sorted(PERIODIC)))
    def run_periodic_command(name: str):
        """Run one periodic job by hand (the scheduler runs them on their own)."""
        from mes_web.jobs.schedule import periodic_run

        click.echo(periodic_run(name))

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_command(burst: bool):
        """Run background jobs from the Redis queue."""
        from mes_web.jobs.queues import worker_run

        worker_run(burst=burst)

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True)
    def serve_command(host: str, port: int):
        """Serve the embedded default: jobs and webhook sending run inside this process (`make run`)."""
        from mes_web.jobs.dispatcher import OutboxDispatcher
        from mes_web.services.webhook_deliveries import deliveries_resend_lost

        if app.config["REDIS_URL"]:
            raise click.UsageError(
                "REDIS_URL is set: serve with gunicorn and run `flask worker` and `flask scheduler`."
            )
        deliveries_resend_lost()  # what the previous run of this process had queued died with it
        with OutboxDispatcher(app).running():
            app.run(host=host, port=port, threaded=True, use_reloader=False)

    @app.cli.command("scheduler")
    def scheduler_command():
        """Queue the periodic jobs on their schedule (run one scheduler per installation)."""
        from mes_web.jobs.schedule import scheduler_run

        scheduler_run()

    storage_group = click.Group("storage", help="Object storage for reports, exports and imports.")

    @storage_group.command("init")
    def storage_init_command():
        """Create the buckets if they are missing."""
        from mes_web.integrations.storage import BUCKETS, storage

        storage().buckets_ensure()
        click.echo("Хранилище готово: " + ", ".join(BUCKETS) + ".")

    app.cli.add_command(user)
    app.cli.add_command(token)
    app.cli.add_command(storage_group)
