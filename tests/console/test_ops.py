"""Operator endpoints: /healthz with its probes, /metrics and the counters behind it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot

from bot.actionserver import free_port
from bot.dialogue.inprocess import InProcessDialogue
from bot.metrics import REGISTRY, telegram_error_kind
from bot.outbox import Outbox, text_payload
from bot.ratelimit import MeasuredRateLimiter
from bot.turns import TurnRunner
from console import ops
from console.context import ConsoleContext
from console.health import health_url, probes_for, redis_probe
from emulator.server import BotApiEmulator
from storage import Database, Repository
from storage.durable import DurableStore, OutboxEntry

PATIENT = 6161


def sample(name: str, **labels: str) -> float:
    """A metric's current value in the bot's registry (0 before its first observation)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def up(detail: str = "fine") -> Any:
    async def probe() -> tuple[bool, str]:
        return True, detail

    return probe


# -- /healthz ------------------------------------------------------------------------------


async def test_healthz_is_200_with_every_probe_up(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    context.health = {"database": up("sqlite"), "model": up(), "action_server": up()}
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["database", "model", "action_server"]
    assert body["checks"]["database"]["state"] == "up"
    assert body["checks"]["database"]["detail"] == "sqlite"


async def test_healthz_is_503_when_one_probe_is_down_and_names_only_the_error_type(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    async def down() -> tuple[bool, str]:
        return False, "HTTP 500"

    async def broken() -> tuple[bool, str]:
        raise ConnectionError("redis://:hunter2@cache.internal:6379 refused")

    context.health = {"database": up(), "model": down, "redis": broken}
    response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["state"] == "up"
    assert body["checks"]["model"] == {**body["checks"]["model"], "state": "down"}
    assert body["checks"]["redis"]["state"] == "down"
    assert body["checks"]["redis"]["detail"] == "ConnectionError"
    assert "hunter2" not in response.text and "cache.internal" not in response.text


async def test_a_hanging_probe_is_down_when_its_time_is_up_and_the_others_still_answer(
    context: ConsoleContext, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ops, "PROBE_TIMEOUT", 0.3)

    async def hangs() -> tuple[bool, str]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    context.health = {"database": hangs, "model": up(), "action_server": hangs}
    started = time.perf_counter()
    response = await client.get("/healthz")
    elapsed = time.perf_counter() - started
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["state"] == "down"
    assert checks["database"]["detail"] == "no answer within 0.3 s"
    assert checks["model"]["state"] == "up"
    assert elapsed < 1.5, "the probes run at once, each bounded"


# -- the real probes -----------------------------------------------------------------------


class FakeAgent:
    model_name = "triage.tar.gz"

    def __init__(self, ready: bool) -> None:
        self.ready = ready

    def is_ready(self) -> bool:
        return self.ready


def runtime_like(database: Database | None, **settings: Any) -> SimpleNamespace:
    """What probes_for reads of a Runtime."""
    values = {"redis_url": None, "rasa_url": None, "action_server_url": None, **settings}
    return SimpleNamespace(
        settings=SimpleNamespace(**values),
        database=database,
        dialogue=InProcessDialogue(FakeAgent(ready=True)),  # type: ignore[arg-type]
        action_server=None,
    )


@pytest_asyncio.fixture
async def rasa_like() -> AsyncIterator[dict[str, Any]]:
    """An HTTP server answering as a Rasa server's /status and rasa_sdk's /health would."""
    state: dict[str, Any] = {"status": 200, "health": 200}

    async def status(_: web.Request) -> web.Response:
        return web.json_response({"model_id": "x"}, status=state["status"])

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=state["health"])

    app = web.Application()
    app.add_routes([web.get("/status", status), web.get("/actions/health", health)])
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state["url"] = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


async def test_the_probes_of_an_in_process_runtime(
    context: ConsoleContext, client: httpx.AsyncClient, database: Database
) -> None:
    runtime = runtime_like(database)
    # The child process the runtime started, gone: nothing listens on its port.
    runtime.action_server = SimpleNamespace(port=free_port())
    context.health = probes_for(runtime)
    assert list(context.health) == ["database", "model", "action_server"], "no REDIS_URL"
    response = await client.get("/healthz")
    checks = response.json()["checks"]
    assert checks["database"] == {**checks["database"], "state": "up", "detail": "sqlite"}
    assert checks["model"] == {**checks["model"], "state": "up"}
    assert checks["model"]["detail"] == "in process: triage.tar.gz"
    assert checks["action_server"]["state"] == "down"
    assert checks["action_server"]["detail"] == "ClientConnectorError"
    assert response.status_code == 503

    runtime.dialogue = InProcessDialogue(FakeAgent(ready=False))  # type: ignore[arg-type]
    runtime.database = None
    checks = (await client.get("/healthz")).json()["checks"]
    assert checks["model"] == {**checks["model"], "state": "down"}
    assert checks["database"] == {**checks["database"], "state": "down", "detail": "not started"}


async def test_the_probes_of_a_runtime_on_rasa_url_action_server_url_and_redis(
    context: ConsoleContext,
    client: httpx.AsyncClient,
    database: Database,
    rasa_like: dict[str, Any],
) -> None:
    runtime = runtime_like(
        database,
        rasa_url=rasa_like["url"],
        action_server_url=f"{rasa_like['url']}/actions/webhook",
        # A password in the URL, and nothing listening there.
        redis_url=f"redis://:hunter2@127.0.0.1:{free_port()}/0",
    )
    runtime.dialogue = None
    context.health = probes_for(runtime)
    assert list(context.health) == ["database", "redis", "model", "action_server"]
    response = await client.get("/healthz")
    checks = response.json()["checks"]
    assert checks["model"] == {**checks["model"], "state": "up"}
    assert checks["action_server"]["state"] == "up"
    assert checks["action_server"]["detail"] == "ACTION_SERVER_URL: HTTP 200"
    assert checks["redis"]["state"] == "down"
    assert "hunter2" not in response.text
    assert response.status_code == 503

    rasa_like["status"] = 409  # Rasa with no model loaded
    rasa_like["health"] = 503
    checks = (await client.get("/healthz")).json()["checks"]
    assert checks["model"] == {**checks["model"], "state": "down"}
    assert checks["model"]["detail"] == "Rasa server: HTTP 409"
    assert checks["action_server"]["state"] == "down"


@pytest.mark.redis
async def test_the_redis_probe_is_up_on_a_redis_that_answers_ping() -> None:
    url = "redis://127.0.0.1:6379/15"
    try:
        answer = await asyncio.wait_for(redis_probe(url)(), 2)
    except Exception as error:  # whatever keeps Redis away
        pytest.skip(f"Redis not reachable at {url} ({type(error).__name__})")
    assert answer == (True, "PONG")


def test_the_action_server_health_url_sits_beside_its_webhook() -> None:
    assert health_url("http://actions:5055/webhook") == "http://actions:5055/health"
    assert health_url("https://a.example/rasa/webhook/?x=1") == "https://a.example/rasa/health"
    assert health_url("http://actions:5055") == "http://actions:5055/health"


# -- /metrics ------------------------------------------------------------------------------


async def test_metrics_serve_every_metric_with_the_store_figures_of_now(
    client: httpx.AsyncClient, repository: Repository, database: Database
) -> None:
    patient = await repository.upsert_patient(PATIENT, PATIENT, "Asha", None)
    await repository.open_case(
        patient_id=patient.id, reason="emergency", urgency="urgent", summary={}
    )
    await DurableStore(database).add_outgoing(None, [(PATIENT, text_payload("hi", None, None))])
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "triage_turns_total",
        "triage_turn_duration_seconds_bucket",
        "triage_telegram_errors_total",
        "triage_rate_limiter_wait_seconds_bucket",
        "triage_rate_limiter_retry_after_total",
        "triage_outbox_oldest_pending_seconds",
        "triage_queue_oldest_wait_seconds",
        "python_info",
    ):
        assert f"\n{name}" in text, name
    lines = set(text.splitlines())
    assert "triage_store_scrape_ok 1.0" in lines
    assert "triage_outbox_backlog 1.0" in lines
    assert 'triage_queue_length{urgency="urgent"} 1.0' in lines
    assert 'triage_queue_length{urgency="normal"} 0.0' in lines
    assert 'triage_cases{status="queued"} 1.0' in lines
    assert 'triage_cases{status="closed"} 0.0' in lines
    assert 'triage_telegram_errors_total{kind="TimedOut"}' in text
    assert "_created" not in text


async def test_metrics_still_serve_the_counters_when_the_database_does_not_answer(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def hangs(_: Database) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(ops, "STORE_TIMEOUT", 0.2)
    monkeypatch.setattr(ops, "read_store_figures", hangs)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "triage_store_scrape_ok 0.0" in response.text.splitlines()
    assert "triage_turns_total" in response.text
    assert "triage_outbox_backlog" not in response.text


SCRAPE_TOKEN = "4b1d0c9e7a6f3e2d1c0b"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-of-twenty", f"Basic {SCRAPE_TOKEN}", f"Bearer {SCRAPE_TOKEN}x", ""],
)
async def test_with_a_metrics_token_a_scrape_without_it_is_refused(
    context: ConsoleContext, client: httpx.AsyncClient, authorization: str | None
) -> None:
    context.settings = replace(context.settings, metrics_token=SCRAPE_TOKEN)
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "triage_turns_total" not in response.text


async def test_with_a_metrics_token_a_scrape_that_sends_it_gets_the_metrics(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    context.settings = replace(context.settings, metrics_token=SCRAPE_TOKEN)
    response = await client.get("/metrics", headers={"Authorization": f"bearer {SCRAPE_TOKEN}"})
    assert response.status_code == 200
    assert "triage_turns_total" in response.text
    # /healthz stays open: a load balancer sends no token.
    assert (await client.get("/healthz")).status_code in (200, 503)


# -- the counters, where they are counted ------------------------------------------------


class Delivery:
    """A durable store and an outbox on the Bot API emulator, as the gateway has them."""

    def __init__(self, emulator: BotApiEmulator, store: DurableStore, bot: Bot) -> None:
        self.emulator = emulator
        self.store = store
        self.outbox = Outbox(bot, store, self._record, self._blocked, retry_delays=(0.01,))

    async def _record(self, entry: OutboxEntry, sent: Message) -> None:
        await self.store.mark_sent(entry.id, sent.message_id)

    async def _blocked(self, chat_id: int) -> None:
        """Nothing to mark in these tests."""

    async def update(self, update_id: int) -> Update:
        """An update as the durable inbox keeps it before its turn."""
        await self.store.store_update(update_id, PATIENT, {"update_id": update_id})
        return Update(update_id)


@pytest_asyncio.fixture
async def delivery(database: Database) -> AsyncIterator[Delivery]:
    async with BotApiEmulator() as emulator:
        await emulator.add_user(PATIENT, first_name="Asha")
        bot = Bot(emulator.token, base_url=emulator.bot_base_url)
        async with bot:
            yield Delivery(emulator, DurableStore(database), bot)


async def test_a_turn_is_counted_and_timed_until_its_replies_are_delivered(
    delivery: Delivery,
) -> None:
    outbox = delivery.outbox

    async def process(_: Update) -> None:
        await outbox.send(PATIENT, text_payload("hello", None, None))

    runner = TurnRunner(delivery.store, outbox, process, retry_delays=())
    answered = sample("triage_turns_total", outcome="answered")
    duplicate = sample("triage_turns_total", outcome="duplicate")
    timed = sample("triage_turn_duration_seconds_count")
    total = sample("triage_turn_duration_seconds_sum")

    update = await delivery.update(501)
    started = time.perf_counter()
    await runner.run(update, process(update))
    elapsed = time.perf_counter() - started
    assert [m["plain_text"] for m in await delivery.emulator.bot_messages(PATIENT)] == ["hello"]
    assert sample("triage_turns_total", outcome="answered") == answered + 1
    assert sample("triage_turn_duration_seconds_count") == timed + 1
    observed = sample("triage_turn_duration_seconds_sum") - total
    assert 0 < observed <= elapsed

    # The same update again (a replay): skipped, counted as such, not timed.
    await runner.run(update, process(update))
    assert sample("triage_turns_total", outcome="duplicate") == duplicate + 1
    assert sample("triage_turn_duration_seconds_count") == timed + 1


async def test_turns_that_fail_are_counted_by_how_they_end(delivery: Delivery) -> None:
    outbox = delivery.outbox
    calls = 0

    async def flaky(_: Update) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            outbox.keep_unprocessed()
            return
        await outbox.send(PATIENT, text_payload("after all", None, None))

    async def never(_: Update) -> None:
        outbox.keep_unprocessed()

    async def raises(_: Update) -> None:
        raise RuntimeError("the handler broke")

    retried = sample("triage_turns_total", outcome="answered_after_retry")
    unprocessed = sample("triage_turns_total", outcome="unprocessed")
    errors = sample("triage_turns_total", outcome="error")

    update = await delivery.update(601)
    await TurnRunner(delivery.store, outbox, flaky, retry_delays=(0.0,)).run(update, flaky(update))
    assert sample("triage_turns_total", outcome="answered_after_retry") == retried + 1

    update = await delivery.update(602)
    await TurnRunner(delivery.store, outbox, never, retry_delays=(0.0,)).run(update, never(update))
    assert sample("triage_turns_total", outcome="unprocessed") == unprocessed + 1

    update = await delivery.update(603)
    with pytest.raises(RuntimeError):
        await TurnRunner(delivery.store, outbox, raises, retry_delays=()).run(
            update, raises(update)
        )
    assert sample("triage_turns_total", outcome="error") == errors + 1


async def test_telegram_errors_are_counted_by_kind_where_the_outbox_meets_them(
    delivery: Delivery,
) -> None:
    kinds = ("RetryAfter", "NetworkError", "BadRequest", "Forbidden")
    before = {kind: sample("triage_telegram_errors_total", kind=kind) for kind in kinds}
    await delivery.emulator.fail_next("sendMessage", count=1, status=429, retry_after=1)
    await delivery.emulator.fail_next("sendMessage", count=1, status=502)
    await delivery.outbox.send(PATIENT, text_payload("through in the end", None, None))
    await delivery.outbox.send(PATIENT, text_payload("<b>broken", None, None))
    await delivery.emulator.set_bot_blocked(PATIENT)
    await delivery.outbox.send(PATIENT, text_payload("blocked", None, None))
    after = {kind: sample("triage_telegram_errors_total", kind=kind) for kind in kinds}
    assert {kind: after[kind] - before[kind] for kind in kinds} == dict.fromkeys(kinds, 1)


def test_telegram_error_kinds() -> None:
    assert telegram_error_kind(RetryAfter(3)) == "RetryAfter"
    assert telegram_error_kind(Forbidden("blocked")) == "Forbidden"
    assert telegram_error_kind(BadRequest("no")) == "BadRequest"
    assert telegram_error_kind(TimedOut()) == "TimedOut", "before its base class NetworkError"
    assert telegram_error_kind(NetworkError("reset")) == "NetworkError"
    assert telegram_error_kind(TelegramError("?")) == "other"


async def test_the_rate_limiter_times_its_waits_and_counts_the_flood_waits_it_meets() -> None:
    async with BotApiEmulator() as emulator:
        await emulator.add_user(PATIENT, first_name="Asha")
        bot = ExtBot(
            emulator.token,
            base_url=emulator.bot_base_url,
            rate_limiter=MeasuredRateLimiter(max_retries=2),
        )
        async with bot:
            waits = sample("triage_rate_limiter_wait_seconds_count")
            waited = sample("triage_rate_limiter_wait_seconds_sum")
            floods = sample("triage_rate_limiter_retry_after_total")
            await emulator.fail_next("sendMessage", count=1, status=429, retry_after=1)
            await bot.send_message(PATIENT, "after a flood wait")
    assert sample("triage_rate_limiter_retry_after_total") == floods + 1
    assert sample("triage_rate_limiter_wait_seconds_count") == waits + 1
    # PTB's limiter sleeps retry_after + 0.1 s before it tries again.
    assert 1.0 <= sample("triage_rate_limiter_wait_seconds_sum") - waited < 5.0
