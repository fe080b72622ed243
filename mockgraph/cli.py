"""The `mockgraph` command: derive a contract, serve the mock, verify an implementation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mockgraph.exceptions import MockGraphError


def derive(args: argparse.Namespace) -> int:
    """Derive one OpenAPI document from Graph docs pages; write it only when it changed."""
    from mockgraph.openapi import derive_files, dump_document, validate_document

    document = derive_files(args.pages, args.supplement)
    validate_document(document)
    text = dump_document(document)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    output = Path(args.output)
    if not output.exists() or output.read_text(encoding="utf-8") != text:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    paths = document["paths"]
    count = sum(len(item) for item in paths.values())
    print(f"{output}: {count} operations on {len(paths)} paths from {len(args.pages)} pages", file=sys.stderr)
    return 0


def serve(args: argparse.Namespace) -> int:
    """Run the mock under gunicorn (loopback unless told otherwise).

    Flags override MOCKGRAPH_* variables, which override mockgraph.toml (or --config FILE).
    """
    from mockgraph.config import resolve_settings
    from mockgraph.server import run_server

    flags = {
        "CONFIG_FILE": args.config,
        "SERVER_HOST": args.host,
        "SERVER_PORT": args.port,
        "SERVER_WORKERS": args.workers,
        "SERVER_ACCESS_LOG": args.access_log or None,
        "CONTRACT": str(Path(args.contract).resolve()) if args.contract else None,
        "SEED_DATA": str(Path(args.seed_data).resolve()) if args.seed_data else None,
        "MODE": "stateful" if args.stateful else None,
        "STORE": args.store if args.store in (None, ":memory:") else str(Path(args.store).resolve()),
    }
    settings = resolve_settings({key: value for key, value in flags.items() if value is not None})
    run_server(
        host=settings["SERVER_HOST"],
        port=int(settings["SERVER_PORT"]),
        workers=int(settings["SERVER_WORKERS"]),
        config=settings,
        access_log=bool(settings["SERVER_ACCESS_LOG"]),
        worker_class=args.worker_class,
        threads=args.threads,
    )
    return 0


def verify(args: argparse.Namespace) -> int:
    """Check a running implementation against the contract; 0 pass, 1 contract failures, 2 could not run."""
    from mockgraph.verify import VerifyOptions, parse_header, parse_phases
    from mockgraph.verify import verify as run_verify

    options = VerifyOptions(
        base_url=args.base_url,
        spec=Path(args.spec) if args.spec else None,
        max_examples=args.max_examples,
        seed=args.seed,
        headers=dict(parse_header(text) for text in args.header),
        phases=parse_phases(args.phases),
        wait_seconds=args.wait,
        report_dir=Path(args.report),
    )
    return run_verify(options)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    derive_parser = commands.add_parser("derive", help="derive an OpenAPI document from Graph docs pages")
    derive_parser.add_argument("pages", nargs="+", help="Graph docs API reference pages (Markdown)")
    derive_parser.add_argument("-o", "--output", default="-", help="the YAML file to write ('-': standard output)")
    derive_parser.add_argument("-s", "--supplement", help="a YAML file of resource facts to merge")
    derive_parser.set_defaults(func=derive)

    serve_parser = commands.add_parser("serve", help="run the mock under gunicorn")
    serve_parser.add_argument("--config", help="a mockgraph.toml to read (default: ./mockgraph.toml if present)")
    serve_parser.add_argument("--host", help="address to bind (default: 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, help="port to bind (default: 8000)")
    serve_parser.add_argument("--workers", type=int, help="gunicorn worker processes (default: 2)")
    serve_parser.add_argument("--contract", help="an OpenAPI document to serve instead of the shipped one")
    serve_parser.add_argument("--seed-data", help="a JSON file of events to load into the stateful store")
    serve_parser.add_argument("--worker-class", help="gunicorn worker class (default: the one `make bench` chose)")
    serve_parser.add_argument("--threads", type=int, help="threads per worker (gthread)")
    serve_parser.add_argument("--access-log", action="store_true", help="log every request (costs throughput)")
    serve_parser.add_argument(
        "--stateful", action="store_true", help="operations act on a store instead of answering examples"
    )
    serve_parser.add_argument(
        "--store", help="the SQLite file all workers share (default: store-PORT.sqlite3 under the temp dir)"
    )
    serve_parser.set_defaults(func=serve)
    add_verify_parser(commands)
    return parser


def add_verify_parser(commands) -> None:
    from mockgraph.verify import DEFAULT_MAX_EXAMPLES, DEFAULT_WAIT_SECONDS, PHASES

    parser = commands.add_parser(
        "verify",
        help="check a running implementation against the contract",
        description="Run the contract (Schemathesis: every check, valid and invalid data) against a server. "
        "Exit 0: no failures; 1: contract failures; 2: could not run (unreachable server, bad spec).",
    )
    parser.add_argument("--base-url", required=True, help="where the API lives, e.g. http://127.0.0.1:8000/beta")
    parser.add_argument("--spec", help="the OpenAPI document to check against (default: the shipped contract)")
    parser.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES, help="generated cases per operation")
    parser.add_argument("--seed", type=int, help="random but reproducible generation (default: deterministic)")
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="sent with every request, e.g. 'Authorization: Bearer TOKEN' (repeatable)",
    )
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated subset of: " + ", ".join(PHASES))
    parser.add_argument(
        "--report", default="reports", metavar="DIR", help="where the JUnit XML goes (default: reports)"
    )
    parser.add_argument(
        "--wait", type=float, default=DEFAULT_WAIT_SECONDS, metavar="SECONDS", help="how long to wait for the server"
    )
    parser.set_defaults(func=verify)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except MockGraphError as error:
        print(f"mockgraph: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
