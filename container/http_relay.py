"""HTTP into a ``--network none`` container: JSON lines on stdin, answers on stdout.

A container started with ``--network none`` (as SageMaker isolates Marketplace algorithms) has
only its own loopback, so the host cannot open a socket to its server. ``docker exec -i NAME
python -m container.http_relay`` runs this loop inside the container's network namespace:
each stdin line is one request, forwarded to ``127.0.0.1:${SAGEMAKER_BIND_TO_PORT:-8080}``;
each stdout line is the answer, with the time the server took as measured inside.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from typing import Any

from serve import client

DEFAULT_PORT = 8080


def server_port() -> int:
    return int(os.environ.get("SAGEMAKER_BIND_TO_PORT") or DEFAULT_PORT)


def forward(request: dict[str, Any], port: int) -> dict[str, Any]:
    """One request (``method``, ``path``, ``headers``, base64 ``body``, ``timeout``) -> answer."""
    started = time.perf_counter()
    try:
        reply = client.request(
            f"http://127.0.0.1:{port}",
            request.get("method", "GET"),
            request.get("path", "/ping"),
            base64.b64decode(request.get("body", "")),
            request.get("headers", {}),
            request.get("timeout", 70),
        )
    except OSError as error:
        return {"status": 0, "error": f"{type(error).__name__}: {error}", "seconds": 0.0}
    return {
        "status": reply.status,
        "headers": reply.headers,
        "body": base64.b64encode(reply.body).decode("ascii"),
        "seconds": time.perf_counter() - started,
    }


def main() -> int:
    port = server_port()
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(forward(json.loads(line), port)) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
