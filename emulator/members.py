"""Chat members as Telegram describes them: status, and the rights that go with it."""

from __future__ import annotations

from typing import Any

from emulator.models import ChatInfo

ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_pin_messages", "can_manage_topics",
)
RESTRICTED_RIGHTS = (
    "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
    "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
    "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
    "can_react_to_messages",
)


def chat_member_json(
    status: str, user: dict[str, Any], rights: dict[str, bool] | None = None
) -> dict[str, Any]:
    """A ChatMember object with the fields PTB requires for each status.

    Administrators hold every right and restricted members none, unless `rights` says
    otherwise for this member."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update({"can_be_edited": False, "is_anonymous": False})
        member.update(dict.fromkeys(ADMIN_RIGHTS, True))
        member.update({k: v for k, v in (rights or {}).items() if k in ADMIN_RIGHTS})
    elif status == "restricted":
        member.update({"is_member": True, "until_date": 0})
        member.update(dict.fromkeys(RESTRICTED_RIGHTS, False))
        member.update({k: v for k, v in (rights or {}).items() if k in RESTRICTED_RIGHTS})
    elif status == "kicked":
        member["until_date"] = 0
    return member


def has_right(chat: ChatInfo, member_id: int, right: str) -> bool:
    """Whether this member (a bot or a user) holds an administrator right in the chat."""
    status = chat.members.get(member_id, "left")
    if status == "creator":
        return True
    if status not in ("administrator", "restricted"):
        return False
    return chat_member_json(status, {}, chat.rights.get(member_id)).get(right, False)
