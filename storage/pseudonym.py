"""The stable pseudonymous id of a patient: what logs and surviving records carry."""

import hashlib
import hmac


def pseudonym(secret: bytes, telegram_user_id: int) -> str:
    """HMAC-SHA256 of the Telegram user id; the same user always gets the same id."""
    return hmac.new(secret, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()
