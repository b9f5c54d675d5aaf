from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from cw_shared.auth import Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from face_verify.references import service
from face_verify.references.schemas import SUBJECT_PATTERN, ReferenceInfo

router = APIRouter(prefix="/v1/subjects", tags=["references"], responses=PROBLEM_RESPONSES)
Reader = Annotated[Principal, Depends(require_roles(Role.INTEGRATOR, Role.ADMIN, Role.CLERK))]
Eraser = Annotated[Principal, Depends(require_roles(Role.INTEGRATOR, Role.ADMIN))]
Subject = Annotated[str, Path(pattern=SUBJECT_PATTERN, examples=["citizen-7f3a"])]


@router.get(
    "/{subject}/reference",
    summary="Whether and when a reference face was enrolled (never the template)",
    responses={404: problem_doc("No reference face for this subject")},
)
async def reference_info(subject: Subject, session: DbSession, _reader: Reader) -> ReferenceInfo:
    return ReferenceInfo.model_validate(
        await service.get_reference(session=session, subject=subject)
    )


@router.delete(
    "/{subject}/reference",
    status_code=204,
    summary="Erase a subject's reference face (right to erasure)",
    responses={404: problem_doc("No reference face for this subject")},
)
async def erase_reference(subject: Subject, session: DbSession, eraser: Eraser) -> Response:
    await service.erase_reference(session=session, subject=subject, actor=eraser.sub)
    return Response(status_code=204)
