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
    """Run the mock under gunicorn (loopback unless told otherwise)."""
    from mockgraph.server import run_server

    config = {}
    if args.contract:
        config["CONTRACT"] = str(Path(args.contract).resolve())
    run_server(host=args.host, port=args.port, workers=args.workers, config=config, access_log=args.access_log)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    derive_parser = commands.add_parser("derive", help="derive an OpenAPI document from Graph docs pages")
    derive_parser.add_argument("pages", nargs="+", help="Graph docs API reference pages (Markdown)")
    derive_parser.add_argument("-o", "--output", default="-", help="the YAML file to write ('-': standard output)")
    derive_parser.add_argument("-s", "--supplement", help="a YAML file of resource facts to merge")
    derive_parser.set_defaults(func=derive)

    serve_parser = commands.add_parser("serve", help="run the mock under gunicorn")
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--workers", type=int, default=2)
    serve_parser.add_argument("--contract", help="an OpenAPI document to serve instead of the shipped one")
    serve_parser.add_argument("--access-log", action="store_true", help="log every request (costs throughput)")
    serve_parser.set_defaults(func=serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except MockGraphError as error:
        print(f"mockgraph: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
