"""The log audit: a whole conversation's logs, as production configures them, carry no message
text, no names, no tokens and no raw Telegram ids; every line is JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.logs import _NOISY, WEBHOOK_LOGGER, JsonFormatter, configure, pseudonym
from tests.e2e.harness import World, joined
from tests.e2e.test_restart_resume import reach_consent

PLANTED_FIRST_NAME = "Quorblexa"
PLANTED_LAST_NAME = "Vantrewish"
PLANTED_WORD = "zyxplantedqv"


class LineCollector(logging.Handler):
    """Keeps every formatted line in memory."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def production_logs() -> Iterator[LineCollector]:
    """Logging as `bot.logs.configure("INFO")` sets it up, every line collected; restored after."""
    root = logging.getLogger()
    touched = [*_NOISY, "telegram", WEBHOOK_LOGGER]
    saved_levels = {name: logging.getLogger(name).level for name in touched}
    saved_filters = list(logging.getLogger(WEBHOOK_LOGGER).filters)
    saved_handlers, saved_root_level = root.handlers[:], root.level
    configure("INFO")
    collector = LineCollector()
    root.addHandler(collector)
    try:
        yield collector
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_root_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        logging.getLogger(WEBHOOK_LOGGER).filters[:] = saved_filters


def assert_clean(lines: list[str], forbidden: dict[str, str]) -> list[dict[str, object]]:
    """Every line is a JSON object and none holds a forbidden string; returns the entries."""
    entries = []
    for line in lines:
        entry = json.loads(line)
        assert isinstance(entry, dict) and {"time", "level", "logger", "event"} <= set(entry)
        entries.append(entry)
        for what, secret in forbidden.items():
            assert secret not in line, f"{what} in the logs: {line}"
    return entries


# sentry_sdk's own logger writes only for a Sentry client set up with debug=True (its filter
# drops every record otherwise) and the bot sets up none; it exists in this process when
# another test of the same worker imported Rasa's telemetry, which imports sentry_sdk.
SILENT_UNLESS_ASKED = {"sentry_sdk.errors"}


def loggers_bypassing_root() -> list[str]:
    """Loggers that would write somewhere other than the root's JSON handler."""
    found = []
    for name, logger in logging.root.manager.loggerDict.items():
        if not isinstance(logger, logging.Logger) or not logger.isEnabledFor(logging.INFO):
            continue
        if name in SILENT_UNLESS_ASKED:
            continue
        own = [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]
        if own or not logger.propagate:
            found.append(name)
    return found


async def test_a_full_conversation_logs_nothing_personal(world: World) -> None:
    repository = world.runtime.repository
    assert repository is not None
    token = world.emulator.token
    with production_logs() as logs:
        patient = await world.new_patient(PLANTED_FIRST_NAME, PLANTED_LAST_NAME)
        await patient.send("/start")
        await patient.send(f"is a {PLANTED_WORD} breast lift cosmetic or plastic?")
        await reach_consent(patient)
        assert "Consent 2 of 5" in joined(await patient.press("I agree"))
        await patient.send(f"I want to talk to a person about {PLANTED_WORD}")
        await patient.send("/mydata")
        await patient.send("/privacy")
        await world.idle()
        lines = list(logs.lines)
        bypassing = loggers_bypassing_root()

    stored = await repository.get_patient(patient.user_id)
    assert stored is not None
    assert len(await repository.consent_history(stored.id)) == 1, "the consent was not reached"
    assert await repository.open_case_for(stored.id) is not None, "no case was opened"
    documents = [r for r in patient.history if r["kind"] == "document"]
    assert documents, "/mydata sent nothing"

    entries = assert_clean(
        lines,
        {
            "the planted first name": PLANTED_FIRST_NAME,
            "the planted last name": PLANTED_LAST_NAME,
            "the planted message text": PLANTED_WORD,
            "the bot token": token,
            "the bot token's secret part": token.split(":", 1)[1],
            "the pseudonym secret": "e2e-secret",
            "the raw Telegram user id": str(patient.user_id),
        },
    )
    # The patient does appear, pseudonymised: the scan looked at lines about them. Two
    # forms exist today, the short log id and the storage pseudonym (its full HMAC).
    aliases = {pseudonym(b"e2e-secret", patient.user_id), repository.pseudonym_for(patient.user_id)}
    about_patient = [e for e in entries if e.get("patient") in aliases]
    events = {e["event"] for e in about_patient}
    assert {"consent decision recorded", "case handed over"} <= events, events
    assert bypassing == [], f"loggers that skip the JSON handler: {bypassing}"


async def test_noisy_libraries_stay_quiet_at_info_while_configured() -> None:
    with production_logs():
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert not logging.getLogger("rasa.core.processor").isEnabledFor(logging.INFO)
        assert not logging.getLogger("aiohttp.access").isEnabledFor(logging.INFO)
        assert logging.getLogger("bot.gateway").isEnabledFor(logging.INFO)
