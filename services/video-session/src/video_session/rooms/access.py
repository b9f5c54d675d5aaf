"""Who may join a room, room tokens, and ICE servers with TURN credentials.

A room token is a short-lived JWT scoped to one room and one participant, signed by
video-session itself (HS256 with ``room_token_secret``): it is what the signaling socket
accepts. TURN credentials follow coturn's ``use-auth-secret`` scheme: the username is
``<expiry unix time>:<subject>`` and the password is base64(HMAC-SHA1(secret, username)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from typing import Any

import jwt

from cw_shared.auth import Principal, Role
from cw_shared.errors import Forbidden, Unauthorized
from video_session.config import VideoSettings
from video_session.rooms.models import Room

ISSUER = "video-session"


def role_in_room(room: Room, principal: Principal) -> str:
    """The participant role the caller joins as; 403 for anyone not in the room."""
    if room.closed_at is not None:
        raise Forbidden("the room is closed", room_state="closed")
    match principal.role:
        case Role.CITIZEN if room.holder_sub == principal.sub:
            return "citizen"
        case Role.AGENT if room.station_id is not None and principal.station == room.station_id:
            return "agent"
        case Role.CLERK if room.opened_by == principal.sub:
            return "clerk"
        case Role.EXPERT if principal.sub in (room.invited or []):
            return "expert"
    raise Forbidden(
        "only the ticket's holder, her agent, the calling clerk and invited experts join"
    )


def mint_room_token(settings: VideoSettings, room: Room, sub: str, role: str) -> tuple[str, int]:
    expires = int(time.time()) + settings.room_token_ttl_seconds
    claims = {
        "iss": ISSUER,
        "aud": f"room:{room.id}",
        "sub": sub,
        "role": role,
        "room": room.id,
        "iat": int(time.time()),
        "exp": expires,
        "jti": uuid.uuid4().hex,
    }
    secret = settings.room_token_secret.get_secret_value()
    return jwt.encode(claims, secret, algorithm="HS256"), expires


def verify_room_token(settings: VideoSettings, token: str, room_id: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.room_token_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=f"room:{room_id}",
            issuer=ISSUER,
            options={"require": ["exp", "sub", "role", "room"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("the room token is not valid for this room") from exc
    return claims


def ice_servers(settings: VideoSettings, sub: str) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls:
        username = f"{int(time.time()) + settings.turn_ttl_seconds}:{sub}"
        secret = settings.turn_secret.get_secret_value().encode()
        digest = hmac.new(secret, username.encode(), hashlib.sha1).digest()
        servers.append(
            {
                "urls": list(settings.turn_urls),
                "username": username,
                "credential": base64.b64encode(digest).decode(),
            }
        )
    return servers
