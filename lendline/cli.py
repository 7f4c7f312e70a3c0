"""The `lendline` command: serve, worker, migrate, revision, knowledge, chat, create-admin,
api-token, export-customer, rotate-keys, apply-retention."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from lendline import knowledge_cli, privacy_cli, staff_cli
from lendline.observability.logs import configure_logging
from lendline.settings import Settings, get_settings


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from lendline.app import create_app

    settings = settings.model_copy(update={"host": args.host, "port": args.port})
    print(f"Lendline starting on {settings.base_url}  (API docs: {settings.base_url}/docs)")
    # log_config=None: uvicorn's access and error logs go through our handler (JSON, masked).
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=settings.log_level.lower(), log_config=None)


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    from channels.twilio import inbound_jobs
    from lendline.assistant import build_agent
    from lendline.observability.routes import start_worker_metrics
    from lendline.services import start_services
    from lendline.worker import run_worker

    async def run() -> None:
        services = await start_services(settings)
        # Inbound message jobs run the agent, so a worker needs one as `serve` does.
        agent = build_agent(settings, services, cipher=settings.field_cipher())
        inbound_jobs.bind(agent, services.redis, settings)
        metrics = (start_worker_metrics(settings, settings.metrics_port)
                   if settings.metrics_port else None)
        try:
            await run_worker(services.queue, stop_on_signals=True,
                             concurrency=args.concurrency or settings.worker_concurrency)
        finally:
            if metrics is not None:
                metrics.shutdown()
            await services.close()

    asyncio.run(run())


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    from lendline.services import seed_demo_data, start_services, sync_bundled_knowledge

    async def run() -> None:
        services = await start_services(settings, migrate=True)
        try:
            if args.content and settings.seed_demo_data:
                today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
                await seed_demo_data(services, cipher=settings.field_cipher(), today=today)
            elif args.content:
                await sync_bundled_knowledge(services)
        finally:
            await services.close()
        print("Schema is up to date." + (" Content is in place." if args.content else ""))

    asyncio.run(run())


def _revision(settings: Settings, args: argparse.Namespace) -> None:
    from alembic import command

    from core.db.migrate import alembic_config
    from lendline.services import start_services

    async def database() -> str:
        services = await start_services(settings)
        await services.close()
        return services.database_url

    command.revision(alembic_config(asyncio.run(database())), message=args.message,
                     autogenerate=True)


def _chat(settings: Settings, args: argparse.Namespace) -> None:
    from lendline.chat import run

    asyncio.run(run(settings, phone=args.phone, channel=args.channel))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lendline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", help="run the app (embedded PostgreSQL and Redis by default)"
    )
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run a background job worker")
    worker.add_argument("--concurrency", type=int, default=None,
                        help="jobs run at once (default: LENDLINE_WORKER_CONCURRENCY, 4)")
    worker.set_defaults(run=_worker)

    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    migrate.add_argument(
        "--content", action="store_true",
        help="also sync the bundled knowledge base, and seed the demo lender into an empty "
        "database when LENDLINE_SEED_DEMO_DATA is true (the compose stack's one-off step)",
    )
    migrate.set_defaults(run=_migrate)

    revision = commands.add_parser(
        "revision", help="write a new migration from the models' difference to the database"
    )
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(run=_revision)
    knowledge_cli.add_commands(commands)
    staff_cli.add_commands(commands)
    privacy_cli.add_commands(commands)

    chat = commands.add_parser("chat", help="talk to the agent in this terminal")
    chat.add_argument("--phone", default="+18685550101",
                      help="the borrower's number (default: demo borrower Asha Ramdial)")
    chat.add_argument("--channel", default="terminal",
                      choices=["terminal", "whatsapp", "sms", "web", "voice"])
    chat.set_defaults(run=_chat)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # a conversation or a command's answer, not a server log
    quiet = args.command in {"chat", "knowledge", "create-admin", "api-token"}
    settings = get_settings()
    configure_logging(settings, level=logging.WARNING if quiet else None)
    if args.command == "serve":
        args.host = args.host or settings.host
        args.port = args.port or settings.port
    args.run(settings, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
