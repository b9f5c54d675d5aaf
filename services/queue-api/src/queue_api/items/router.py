from __future__ import annotations

from fastapi import APIRouter, Depends

from cw_shared.errors import PROBLEM_RESPONSES
from cw_shared.http import require_json

router = APIRouter(
    prefix="/v1/items", tags=["items"], dependencies=[Depends(require_json)], responses=PROBLEM_RESPONSES
)
