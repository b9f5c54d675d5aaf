from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.events import Event
from esign.willingness.models import FaceVerification
from esign.willingness.schemas import FaceVerified, Willingness

TRUSTED_SOURCE = "face-verify"

log = structlog.get_logger(__name__)


async def record_face_verified(session: AsyncSession, event: Event) -> None:
    """Consumer of ``face.verified``; events from any other source are not evidence."""
    if event.source != TRUSTED_SOURCE:
        log.warning("face.verified from an untrusted source ignored", source=event.source)
        return
    verified = FaceVerified.model_validate(event.data)
    session.add(
        FaceVerification(
            verification_id=verified.verification_id,
            subject=verified.subject,
            room_id=verified.room_id,
            ticket_id=verified.ticket_id,
            score=verified.score,
            decided_at=verified.decided_at.astimezone(UTC),
            event_id=event.id,
        )
    )


async def willingness(
    *, session: AsyncSession, subject: str, room_id: str, window: timedelta
) -> Willingness:
    """The latest face verification of ``subject`` in ``room_id`` that is still fresh."""
    now = datetime.now(UTC)
    latest = await session.scalar(
        select(FaceVerification)
        .where(
            FaceVerification.subject == subject,
            FaceVerification.room_id == room_id,
            FaceVerification.decided_at >= now - window,
            FaceVerification.decided_at <= now,
        )
        .order_by(FaceVerification.decided_at.desc())
        .limit(1)
    )
    if latest is None:
        return Willingness(subject=subject, room_id=room_id, satisfied=False)
    decided_at = latest.decided_at.replace(tzinfo=latest.decided_at.tzinfo or UTC)
    return Willingness(
        subject=subject,
        room_id=room_id,
        satisfied=True,
        verification_id=latest.verification_id,
        score=latest.score,
        verified_at=decided_at,
        valid_until=decided_at + window,
    )
