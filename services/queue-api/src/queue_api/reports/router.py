from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cw_shared.auth import Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from queue_api.centres.schemas import CENTRE_ID_PATTERN
from queue_api.reports import service
from queue_api.reports.schemas import DailyReport, GroupBy

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=PROBLEM_RESPONSES)

Staff = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.ADMIN))]


@router.get(
    "/daily",
    summary="A business day's numbers: waits, no-shows, 一次办成率, 好评率 (the centre's clerks, "
    "admins)",
    responses={404: problem_doc("No such centre")},
)
async def daily(
    session: DbSession,
    staff: Staff,
    centre_id: Annotated[str, Query(pattern=CENTRE_ID_PATTERN, examples=["dinghai"])],
    day: Annotated[
        date, Query(description="The centre's business day (业务日)", examples=["2026-11-23"])
    ],
    group_by: Annotated[GroupBy, Query(description="One row per centre, item or counter")] = (
        GroupBy.CENTRE
    ),
    item_code: Annotated[
        str | None, Query(max_length=32, description="Only this item's tickets")
    ] = None,
    counter_id: Annotated[
        str | None, Query(max_length=64, description="Only tickets called to this counter")
    ] = None,
) -> DailyReport:
    return await service.daily_report(
        session=session,
        principal=staff,
        centre_id=centre_id,
        day=day,
        group_by=group_by,
        item_code=item_code,
        counter_id=counter_id,
    )
