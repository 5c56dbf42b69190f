"""Operator endpoints: /healthz for a load balancer or an orchestrator, /metrics for Prometheus.

Both are let through without a session (console/auth/guard.py): they hold no personal data, only
states and counts. With `METRICS_TOKEN` set, /metrics wants it as a bearer token (Prometheus'
`authorization` setting), for a console port that is not on a private address.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.metrics import StoreFigures, exposition, read_store_figures
from console.context import HealthProbe, context_of

log = logging.getLogger(__name__)
# A probe that has not answered by then is down: /healthz must answer while a dependency
# hangs, well within a load balancer's own timeout.
PROBE_TIMEOUT = 2.0
# The store's figures for /metrics; without them the bot's own counters are still served.
STORE_TIMEOUT = 2.0
DETAIL_LIMIT = 120
NO_STORE = {"Cache-Control": "no-store"}


async def run_probe(probe: HealthProbe, timeout: float) -> dict[str, Any]:
    """One check's state, detail and time taken; a hang or an exception is down, by type."""
    started = time.perf_counter()
    try:
        ok, detail = await asyncio.wait_for(probe(), timeout)
    except asyncio.TimeoutError:
        ok, detail = False, f"no answer within {timeout:g} s"
    except Exception as exc:  # any failure is "down"; its message may hold a secret
        ok, detail = False, type(exc).__name__
    return {
        "state": "up" if ok else "down",
        "detail": str(detail)[:DETAIL_LIMIT],
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


async def healthz(request: Request) -> JSONResponse:
    """Every probe at once; 200 when all are up, 503 when any is down."""
    probes = context_of(request).health
    results = await asyncio.gather(*(run_probe(probe, PROBE_TIMEOUT) for probe in probes.values()))
    checks = dict(zip(probes, results, strict=True))
    up = all(check["state"] == "up" for check in checks.values())
    return JSONResponse(
        {"status": "ok" if up else "down", "checks": checks},
        status_code=200 if up else 503,
        headers=NO_STORE,
    )


def scrape_allowed(request: Request, token: str | None) -> bool:
    """No token set, or the request's `Authorization: Bearer …` is it (constant-time compare)."""
    if token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    matches = hmac.compare_digest(given.strip().encode(), token.encode())
    return scheme.lower() == "bearer" and matches


async def metrics(request: Request) -> Response:
    """The bot's metrics in Prometheus' text format, with the store's figures read now."""
    if not scrape_allowed(request, context_of(request).settings.metrics_token):
        log.warning("metrics scrape refused: no or wrong bearer token")
        return Response(
            "a bearer token is required\n",
            status_code=401,
            media_type="text/plain",
            headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    figures: StoreFigures | None
    try:
        figures = await asyncio.wait_for(
            read_store_figures(context_of(request).database), STORE_TIMEOUT
        )
    except Exception as exc:  # a scrape must still show the counters (and that this failed)
        log.warning("store figures not read for /metrics", extra={"error_type": type(exc).__name__})
        figures = None
    return Response(exposition(figures), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)


routes: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"], name="healthz"),
    Route("/metrics", metrics, methods=["GET"], name="metrics"),
]
