"""The seam between the Telegram gateway and the Rasa dialogue model."""

from bot.dialogue.base import BotReply, Button, Dialogue, DialogueError, ParsedIntent

__all__ = ["BotReply", "Button", "Dialogue", "DialogueError", "ParsedIntent"]
