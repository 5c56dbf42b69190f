"""Bot API methods for receiving updates: getUpdates long polling and webhooks."""

from __future__ import annotations

import re
from typing import Any

from emulator.call import Call, Handler
from emulator.errors import ApiError, bad_request
from emulator.models import Webhook

SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


async def get_updates(call: Call) -> list[dict[str, Any]]:
    if call.bot.webhook is not None:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    allowed = call.params.obj("allowed_updates")
    if isinstance(allowed, list):
        call.bot.updates.allowed_updates = [str(kind) for kind in allowed]
    limit = call.params.integer("limit") or 100
    timeout = call.params.number("timeout") or 0.0
    return await call.bot.updates.poll(call.params.integer("offset"), limit, timeout)


def _drop_pending_if_asked(call: Call) -> None:
    if call.params.flag("drop_pending_updates"):
        call.bot.updates.clear()


async def set_webhook(call: Call) -> bool:
    url = call.params.string("url") or ""
    secret = call.params.string("secret_token")
    if secret is not None and not SECRET_TOKEN.match(secret):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    allowed = call.params.obj("allowed_updates")
    if isinstance(allowed, list):
        call.bot.updates.allowed_updates = [str(kind) for kind in allowed]
    _drop_pending_if_asked(call)
    call.bot.webhook = (
        Webhook(url=url, secret_token=secret,
                max_connections=call.params.integer("max_connections") or 40)
        if url else None
    )
    # A waiting getUpdates must end: it would now answer 409.
    call.bot.updates.interrupt_waiters()
    call.world.changes.notify()
    return True


async def delete_webhook(call: Call) -> bool:
    _drop_pending_if_asked(call)
    call.bot.webhook = None
    call.world.changes.notify()
    return True


async def get_webhook_info(call: Call) -> dict[str, Any]:
    hook = call.bot.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(call.bot.updates),
    }
    if hook:
        info["max_connections"] = hook.max_connections
        if call.bot.updates.allowed_updates:
            info["allowed_updates"] = call.bot.updates.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


HANDLERS: dict[str, Handler] = {
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
}
