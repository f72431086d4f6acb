"""The `opora` command."""

import argparse
import asyncio
import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.answers import described, render
from bot.app import (
    App,
    OutdatedSchema,
    build_accounts,
    build_app,
    build_desk,
    build_engine,
    build_services,
    chat_in_terminal,
    ensure_catalog,
    serve,
    set_password_link,
)
from bot.core.i18n import MissingTranslations, check_translations
from bot.helpdesk.accounts import LANGUAGES, LINK_LIFETIME, ROLES, Account, AccountError, listing
from bot.helpdesk.desk import NotFound
from bot.operations import configure_logging
from bot.settings import Settings
from bot.storage import migrate
from bot.storage.engine import make_engine
from bot.storage.models import metadata
from catalog import SEED_DATA
from catalog.directory import Directory
from catalog.hsds import HsdsImportError, export_csv, export_json, import_csv
from catalog.loader import load_catalog
from catalog.provenance import STALE_MONTHS
from catalog.search.terms import store_terms
from catalog.stale import stale_facts
from catalog.texts import pick
from catalog.validation import fact_lines, read_catalog
from catalog.yaml_export import export_yaml


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opora", description="Opora: social services chatbot")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run Opora on the configured channels")
    run.set_defaults(handler=cmd_run)

    chat = commands.add_parser("chat", help="hold the conversation in this terminal")
    chat.add_argument("--lang", choices=["bg", "uk"])
    chat.set_defaults(handler=cmd_chat)

    catalog = commands.add_parser("catalog", help="check, load, export and import the catalogue")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    validate = catalog_commands.add_parser("validate", help="check catalogue files")
    validate.add_argument("path", nargs="?", type=Path, default=SEED_DATA)
    validate.set_defaults(handler=cmd_validate)
    load = catalog_commands.add_parser("load", help="validate, then load into the database")
    load.add_argument("path", nargs="?", type=Path, default=SEED_DATA)
    load.add_argument(
        "--force", action="store_true", help="load the file's facts even over newer ones that staff confirmed"
    )
    load.set_defaults(handler=cmd_load)
    export = catalog_commands.add_parser("export", help="export as HSDS 3, or as the YAML provider files")
    export.add_argument("--format", choices=["hsds-csv", "hsds-json", "yaml"], required=True)
    export.add_argument(
        "--from",
        dest="base",
        type=Path,
        default=SEED_DATA,
        help="yaml: the files to start from (default: the seed catalogue)",
    )
    export.add_argument("target", type=Path, help="a directory (hsds-csv, yaml) or a file (hsds-json)")
    export.set_defaults(handler=cmd_export)
    stale = catalog_commands.add_parser("stale", help="list the facts older than a limit, as file:line")
    stale.add_argument("path", nargs="?", type=Path, default=SEED_DATA)
    stale.add_argument("--months", type=int, default=STALE_MONTHS, help=f"the limit (default {STALE_MONTHS})")
    stale.add_argument("--today", type=dt.date.fromisoformat, help=argparse.SUPPRESS)  # for tests
    stale.set_defaults(handler=cmd_stale)
    imp = catalog_commands.add_parser("import-hsds", help="import an HSDS 3 tabular datapackage")
    imp.add_argument("path", type=Path)
    imp.set_defaults(handler=cmd_import)

    ask = commands.add_parser("ask", help="answer questions (one per line from stdin if none given)")
    ask.add_argument("--lang", choices=["bg", "uk"])
    ask.add_argument("--city")
    ask.add_argument("--top", type=int, default=3)
    ask.add_argument("--json", action="store_true")
    ask.add_argument("question", nargs="*")
    ask.set_defaults(handler=cmd_ask)

    staff = commands.add_parser("staff", help="staff accounts and queues: add, list, invite, report")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_commands.add_parser("add", help="a staff account for the web staff view; prints its one-time link")
    add.add_argument("name", help="as colleagues see it, e.g. 'Maria Ivanova'; also the log-in name")
    add.add_argument("--queue", action="append", required=True, dest="queues", metavar="QUEUE_ID", help="repeatable")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--language", choices=LANGUAGES, default="bg", help="the staff view's language")
    add.set_defaults(handler=cmd_staff_add)
    listing = staff_commands.add_parser("list", help="the staff accounts: name, role, language, state, queues")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_staff_list)
    for action, help_ in (
        ("disable", "no more log-in: its sessions end and it leaves its queues at once"),
        ("enable", "it may log in again, on its queues"),
    ):
        change = staff_commands.add_parser(action, help=help_)
        change.add_argument("name")
        change.set_defaults(handler=cmd_staff_change, action=action)
    queues = staff_commands.add_parser(
        "queues", help="the queues (id, then name); with NAME, that account's, which --queue replaces"
    )
    queues.add_argument("name", nargs="?", help="an account")
    queues.add_argument("--queue", action="append", dest="queues", metavar="QUEUE_ID", help="repeatable")
    queues.set_defaults(handler=cmd_queues)
    invite = staff_commands.add_parser(
        "invite",
        help="an account's new one-time link to set a password; for a queue id, a one-time code (24 h) "
        "to bind a Telegram or Viber staff chat: /join CODE",
    )
    invite.add_argument("name", metavar="NAME_OR_QUEUE_ID")
    invite.set_defaults(handler=cmd_invite)
    verify = staff_commands.add_parser(
        "verify", help="ask the queue's staff chats now to confirm or correct each office's facts"
    )
    verify.add_argument("queue_id")
    verify.set_defaults(handler=cmd_verify)
    report = staff_commands.add_parser("report", help="the queue's statistics as CSV")
    report.add_argument("queue_id")
    report.add_argument("--output", type=Path, help="a file (default: standard output)")
    report.set_defaults(handler=cmd_report)

    db = commands.add_parser("db", help="the database schema: migrate it, show its revision")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="migrate to the newest schema").set_defaults(handler=cmd_db_upgrade)
    db_commands.add_parser("current", help="the schema's revision; exit 1 if out of date").set_defaults(
        handler=cmd_db_current
    )
    revision = db_commands.add_parser("revision", help="write the next migration, from what the models changed")
    revision.add_argument("message", help="what changed, in a few words")
    revision.set_defaults(handler=cmd_db_revision)

    args = parser.parse_args(argv)
    configure_logging(json_lines=Settings().log_format == "json")
    try:
        handler: Handler = args.handler
        return handler(args)
    except BrokenPipeError:  # the reader went away, e.g. `opora ask … | head`
        return 0


Handler = Callable[[argparse.Namespace], int]


def with_app(action: Callable[[App, argparse.Namespace], Awaitable[int]], migrate: bool = True) -> Handler:
    async def runner(args: argparse.Namespace) -> int:
        try:
            check_translations()
            app = await build_app(Settings(), migrate=migrate)
        except (MissingTranslations, OutdatedSchema) as error:
            print(error, file=sys.stderr)
            return 1
        try:
            return await action(app, args)
        finally:
            await app.close()

    # uvloop: the event loop in C, a smaller share of each update's CPU than asyncio's own
    return lambda args: uvloop.run(runner(args))


def cmd_validate(args: argparse.Namespace) -> int:
    catalog, problems = read_catalog(args.path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    services = sum(len(p.services) for p in catalog.providers)
    print(f"ok: {len(catalog.providers)} providers, {services} services, {len(catalog.places)} places")
    return 0


def cmd_stale(args: argparse.Namespace) -> int:
    """Every fact older than --months (or undated) as `file:line: service or office: fact, date`."""
    today = args.today or dt.datetime.now().astimezone().date()
    found, problems = stale_facts(args.path, today, args.months)
    for problem in problems:
        print(problem, file=sys.stderr)
    for fact in found:
        print(fact)
    print(
        f"{len(found)} fact(s) dated more than {args.months} months before {today.isoformat()}, or undated",
        file=sys.stderr,
    )
    return 1 if problems else 0


@with_app
async def cmd_load(app: App, args: argparse.Namespace) -> int:
    catalog, problems = read_catalog(args.path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("nothing loaded", file=sys.stderr)
        return 1
    report = await load_catalog(app.sessions, catalog, force=args.force, after_load=store_terms)
    where = fact_lines(args.path)
    for conflict in report.conflicts:
        outcome = (
            "kept the confirmed one (`--force` loads the file's)"
            if conflict.kept
            else "the file's was loaded (--force)"
        )
        print(
            f"{where.get((conflict.location_id, conflict.fact), '?:0')}: office {conflict.location_id}: "
            f"{conflict.fact} {conflict.confirmed} is newer than the file's ({conflict.file}); {outcome}",
            file=sys.stderr,
        )
    print(f"loaded: {report}")
    return 0


@with_app
async def cmd_export(app: App, args: argparse.Namespace) -> int:
    if args.format == "yaml":
        changed = await export_yaml(app.sessions, args.base, args.target)
        print("exported: " + ", ".join(f"{name} ({n} offices changed)" for name, n in changed.items()))
    elif args.format == "hsds-csv":
        counts = await export_csv(app.sessions, args.target)
        print("exported: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    else:
        print(f"exported: {await export_json(app.sessions, args.target)} services")
    return 0


@with_app
async def cmd_import(app: App, args: argparse.Namespace) -> int:
    if not args.path.is_dir():
        print(f"{args.path}:0: not a directory with an HSDS datapackage", file=sys.stderr)
        return 1
    try:
        report = await import_csv(app.sessions, args.path, after_load=store_terms)
    except HsdsImportError as error:
        print(error, file=sys.stderr)
        print("nothing imported", file=sys.stderr)
        return 1
    for warning in report.warnings:
        print(f"{warning} (warning)", file=sys.stderr)
    print("imported: " + ", ".join(f"{n} {name}" for name, n in report.counts.items()))
    return 0


@with_app
async def cmd_ask(app: App, args: argparse.Namespace) -> int:
    await ensure_catalog(app)
    engine = await build_engine(app)
    directory = Directory(app.sessions)
    questions = [" ".join(args.question)] if args.question else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        answer = await described(engine.ask(question, lang=args.lang, city=args.city, top=max(args.top, 0)), directory)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(render(answer) + "\n", flush=True)
    return 0


BAD_INPUT = 2  # as argparse's own errors


@with_app
async def cmd_queues(app: App, args: argparse.Namespace) -> int:
    await ensure_catalog(app)
    if args.name is None:
        if args.queues:
            print("--queue needs an account: opora staff queues NAME --queue QUEUE_ID", file=sys.stderr)
            return BAD_INPUT
        for queue in await build_desk(app).queues():
            print(f"{queue.id}\t{pick(queue.name, app.settings.default_language)}")
        return 0
    accounts = build_accounts(app)
    try:
        account = await accounts.set_queues(args.name, args.queues) if args.queues else await accounts.named(args.name)
        if account is None:
            raise AccountError("unknown", args.name)
    except AccountError as error:
        print(error, file=sys.stderr)
        return BAD_INPUT
    print(f"{account.name}: {' '.join(account.queues)}")
    return 0


@with_app
async def cmd_staff_add(app: App, args: argparse.Namespace) -> int:
    await ensure_catalog(app)
    try:
        account, token = await build_accounts(app).add(args.name, args.queues, args.role, args.language)
    except AccountError as error:
        print(error, file=sys.stderr)
        return BAD_INPUT
    _print_link(app, account, token)
    return 0


def _print_link(app: App, account: Account, token: str) -> None:
    print(f"Give {account.name} this link to set a password; it works once, within {LINK_LIFETIME.days * 24} hours:")
    print(set_password_link(app.settings, token, account.language))


@with_app
async def cmd_staff_list(app: App, args: argparse.Namespace) -> int:
    listed = listing(await build_accounts(app).all(), dt.datetime.now(dt.UTC))
    if args.json:
        print(json.dumps(listed, ensure_ascii=False, indent=1))
    for item in [] if args.json else listed:
        print("\t".join([item["name"], item["role"], item["language"], item["state"], " ".join(item["queues"])]))
    return 0


@with_app
async def cmd_staff_change(app: App, args: argparse.Namespace) -> int:
    accounts = build_accounts(app)
    try:
        account = await (accounts.disable(args.name) if args.action == "disable" else accounts.enable(args.name))
    except AccountError as error:
        print(error, file=sys.stderr)
        return BAD_INPUT
    print(f"{account.name}: {args.action}d")
    return 0


@with_app
async def cmd_invite(app: App, args: argparse.Namespace) -> int:
    """An account's new link; a queue id's /join code (Telegram and Viber staff chats)."""
    await ensure_catalog(app)
    accounts, desk = build_accounts(app), build_desk(app)
    if await accounts.named(args.name):
        account, token = await accounts.invite(args.name)
        _print_link(app, account, token)
        return 0
    try:
        code = await desk.invite(args.name)
    except NotFound:
        print(f"no account or queue {args.name!r}; see `opora staff list` and `opora staff queues`", file=sys.stderr)
        return BAD_INPUT
    print(f"Send this in the staff chat within 24 hours (it works once): /join {code}")
    print(code)
    return 0


@with_app
async def cmd_verify(app: App, args: argparse.Namespace) -> int:
    from bot.core import verification

    await ensure_catalog(app)
    services = build_services(app, None)
    if await services.desk.queue(args.queue_id) is None:
        print(f"no queue {args.queue_id!r}; see `opora staff queues`", file=sys.stderr)
        return 1
    chats = await services.desk.verifications.ask(verification.render(services), queue_id=args.queue_id, force=True)
    await app.outbox_signal.flush()
    offices = len(await services.desk.verifications.offices(args.queue_id))
    if not chats:
        print(f"no staff chat is bound to {args.queue_id!r}: bind one with `opora staff invite`", file=sys.stderr)
        return 1
    print(f"asked: {chats} question(s) about {offices} office(s) of {args.queue_id}")
    return 0


@with_app
async def cmd_report(app: App, args: argparse.Namespace) -> int:
    try:
        report = await build_desk(app).report(args.queue_id)
    except NotFound:
        print(f"no queue {args.queue_id!r}; see `opora staff queues`", file=sys.stderr)
        return 1
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    return 0


async def run(app: App, args: argparse.Namespace) -> int:
    await serve(app)
    return 0


cmd_run = with_app(run, migrate=False)


@with_app
async def cmd_chat(app: App, args: argparse.Namespace) -> int:
    await chat_in_terminal(app, args.lang)
    return 0


def with_database(action: Callable[[AsyncEngine, argparse.Namespace], Awaitable[int]]) -> Handler:
    """Only the database: no app, whose start migrates it."""

    async def runner(args: argparse.Namespace) -> int:
        engine = make_engine(Settings().database_url)
        try:
            return await action(engine, args)
        finally:
            await engine.dispose()

    return lambda args: asyncio.run(runner(args))


@with_database
async def cmd_db_upgrade(engine: AsyncEngine, args: argparse.Namespace) -> int:
    try:
        await migrate.upgrade(engine)
    except migrate.MigrationError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"the database schema is at revision {await migrate.current_revision(engine)}")
    return 0


@with_database
async def cmd_db_current(engine: AsyncEngine, args: argparse.Namespace) -> int:
    print(await migrate.current_revision(engine) or "none")
    if problem := await migrate.check_current(engine):
        print(problem, file=sys.stderr)
        return 1
    return 0


def cmd_db_revision(args: argparse.Namespace) -> int:
    """Compared on SQLite with the newest revision: review what it wrote before committing it."""
    print(asyncio.run(migrate.new_revision(args.message, metadata)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
