"""Telegram handlers for patients (private chats): `add_patient_handlers` registers them all.

| module | what it handles |
| --- | --- |
| `bot/handlers/commands.py` | every command: /start /help /restart /privacy /mydata /delete, |
| | /withdraw /language /console |
| `bot/handlers/buttons.py` | button presses (callback queries); empty presses refused first |
| `bot/handlers/messages.py` | messages and edits |
| `bot/handlers/membership.py` | the bot blocked by a patient, or added to a stranger's group |
| `bot/handlers/common.py` | the gateway, the shown-button check, button removal, refused presses |
| `bot/handlers/leave.py` | /bot and the "Back to the assistant" button (bot/leave.py) |
"""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.handlers import leave
from bot.handlers.buttons import EmptyCallbackHandler, button, refuse_empty_press
from bot.handlers.commands import (
    DIALOGUE_COMMANDS,
    ConsoleLink,
    console_command,
    delete_request,
    dialogue_command,
    language_command,
    my_data,
    privacy,
    restart,
    unknown_command,
    withdraw_request,
)
from bot.handlers.membership import bot_membership
from bot.handlers.messages import edited_message, patient_message


def add_patient_handlers(app: Application, console_link: ConsoleLink) -> None:
    """Register the patient side; only private chats reach it (the order decides who wins).

    `console_link` answers /console: console/command.py's send_console_link, handed in by
    bot/app.py, since the console stands above the patient side.
    """
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(list(DIALOGUE_COMMANDS), dialogue_command, filters=private))
    app.add_handler(CommandHandler("restart", restart, filters=private))
    app.add_handler(CommandHandler("privacy", privacy, filters=private))
    app.add_handler(CommandHandler("mydata", my_data, filters=private))
    app.add_handler(CommandHandler("delete", delete_request, filters=private))
    app.add_handler(CommandHandler("withdraw", withdraw_request, filters=private))
    app.add_handler(CommandHandler("language", language_command, filters=private))
    app.add_handler(CommandHandler("bot", leave.command, filters=private))
    app.add_handler(CommandHandler("console", console_command(console_link), filters=private))
    app.add_handler(
        MessageHandler(private & filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command)
    )
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, edited_message))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, patient_message))
    app.add_handler(CallbackQueryHandler(leave.button, pattern=f"^{leave.BACK_TO_BOT}$"))
    app.add_handler(CallbackQueryHandler(button))
    # Before every other group, the staff side's included (see EmptyCallbackHandler).
    app.add_handler(EmptyCallbackHandler(refuse_empty_press), group=-1)
    app.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
