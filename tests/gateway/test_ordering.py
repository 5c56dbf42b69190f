"""Per-chat ordering with concurrency across chats."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update

from bot.ordering import PerChatUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, None, chat))  # type: ignore[arg-type]


async def test_one_chat_in_order_while_other_chats_run_alongside() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=32)
    log: list[tuple[int, int, str]] = []

    async def handle(update_id: int, chat_id: int, delay: float) -> None:
        log.append((chat_id, update_id, "start"))
        await asyncio.sleep(delay)
        log.append((chat_id, update_id, "end"))

    tasks = []
    for update_id, (chat_id, delay) in enumerate([(1, 0.05), (1, 0.0), (2, 0.0), (1, 0.01)]):
        update = _update(update_id, chat_id)
        tasks.append(
            asyncio.create_task(processor.process_update(update, handle(update_id, chat_id, delay)))
        )
    await asyncio.gather(*tasks)
    chat_one = [entry for entry in log if entry[0] == 1]
    assert chat_one == [
        (1, 0, "start"),
        (1, 0, "end"),
        (1, 1, "start"),
        (1, 1, "end"),
        (1, 3, "start"),
        (1, 3, "end"),
    ]
    # Chat 2 did not wait for chat 1's slow first update.
    assert log.index((2, 2, "end")) < log.index((1, 0, "end"))
    assert processor._locks == {}
