"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": ...}`` out.

The cursor is the last item's sort key, opaque to clients (URL-safe base64 of JSON), so pages
stay stable while rows are added, unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from cw_shared.errors import BadRequest

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; absent on the last page"
    )


class PageParams(BaseModel):
    limit: int
    after: list[Any] | None


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("the cursor is not one this API returned") from exc
    if not isinstance(value, list):
        raise BadRequest("the cursor is not one this API returned")
    return value


async def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="From `next_cursor`")] = None,
) -> PageParams:
    return PageParams(limit=limit, after=_decode_cursor(cursor) if cursor else None)


Pagination = Annotated[PageParams, Depends(_page_params)]
