"""The operator endpoints of a real bot's console, over HTTP: /healthz and /metrics."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import start_world, stop_world
from tests.e2e.harness import World


def console_url(world: World) -> str:
    console = world.runtime.console
    assert console is not None, "the e2e worlds run the console (CONSOLE_LISTEN)"
    return console.url


async def scrape(world: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample /metrics serves, by name and labels."""
    async with httpx.AsyncClient(base_url=console_url(world), timeout=10) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_healthz_is_up_and_a_patient_turn_is_counted_and_timed(world: World) -> None:
    async with httpx.AsyncClient(base_url=console_url(world), timeout=10) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "model", "action_server"}, "no REDIS_URL"
    assert all(check["state"] == "up" for check in body["checks"].values())

    answered = ("triage_turns_total", (("outcome", "answered"),))
    timed = ("triage_turn_duration_seconds_count", ())
    before = await scrape(world)
    patient = await world.new_patient("Kavya", "M")
    assert await patient.send("is rhinoplasty cosmetic or plastic?")
    after = await scrape(world)
    assert after[answered] >= before[answered] + 1
    assert after[timed] >= before[timed] + 1
    assert after[("triage_turn_duration_seconds_sum", ())] > before.get(
        ("triage_turn_duration_seconds_sum", ()), 0.0
    )
    assert after[("triage_store_scrape_ok", ())] == 1.0
    assert ("triage_outbox_backlog", ()) in after
    assert ("triage_cases", (("status", "queued"),)) in after


async def test_healthz_is_503_when_the_action_server_is_down(tmp_path: Path) -> None:
    # A world of its own: the shared one keeps its action server for the other tests.
    world = await start_world(tmp_path)
    try:
        assert world.runtime.action_server is not None
        await world.runtime.action_server.stop()
        async with httpx.AsyncClient(base_url=console_url(world), timeout=10) as http:
            response = await http.get("/healthz")
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["status"] == "down"
        checks = body["checks"]
        assert checks["action_server"]["state"] == "down"
        assert checks["database"]["state"] == "up"
        assert checks["model"]["state"] == "up"
    finally:
        await stop_world(world)
