"""``serve``: the HTTP API under uvicorn, answering from the warehouse's serving folder (see :mod:`retention.serve`)."""

from __future__ import annotations

import argparse
import gc
import sys

from retention import warehouse
from retention.cli._common import add_db_argument, lazy_import, whole_number

serve_app = lazy_import("retention.serve.app")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve recommendations, risk and campaign arms over HTTP (FastAPI under uvicorn)",
        description="Answers from the snapshot the last promotion published beside the warehouse; never opens "
        "the warehouse, so the app and refreshes run beside it. Data endpoints need a key (python -m retention "
        "api-key create --name NAME); the OpenAPI page is at /docs.",
    )
    add_db_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=whole_number(1, 65535), default=8000, help="port (default: 8000)")
    parser.add_argument(
        "--inbox", default=None, metavar="DIR", help="refresh inbox for POST /v1/events (default: events refused)"
    )
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn  # here, not at the top: building the parser must stay light

    from retention.serve import serving_folder

    folder = serving_folder(warehouse.resolve_db_path(args.db))
    print(f"serving {folder} on http://{args.host}:{args.port} (API docs at /docs)", file=sys.stderr)
    app = serve_app.create_app(folder, inbox=args.inbox)
    # The snapshot's object arrays hold millions of references: a full collection that walks them stalls every
    # request in flight (about 50 ms per 300,000 customers), so what is loaded now is kept out of its sight.
    gc.freeze()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0
