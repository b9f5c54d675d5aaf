from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.errors import NotFound
from cw_shared.events import new_event, record_event
from face_verify.references.models import ReferenceFace

SOURCE = "face-verify"


async def get_reference(*, session: AsyncSession, subject: str) -> ReferenceFace:
    reference = await session.get(ReferenceFace, subject)
    if reference is None:
        raise NotFound("no reference face is enrolled for this subject")
    return reference


async def erase_reference(*, session: AsyncSession, subject: str, actor: str) -> None:
    """Right to erasure: the template goes; an event tells the others it went."""
    reference = await get_reference(session=session, subject=subject)
    await session.delete(reference)
    await record_event(
        session,
        new_event(
            "reference.erased", {"subject": subject}, source=SOURCE, subject=subject, actor=actor
        ),
    )
