from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

MAX_COMMENT = 500
MAX_NOTE = 2000

Score = Annotated[int, Field(ge=1, le=5)]

SCORE_LABELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}


class RectificationState(StrEnum):
    OPEN = "open"
    APPEALED = "appealed"
    CLOSED = "closed"


class AppealDecision(StrEnum):
    UPHELD = "upheld"  # the appeal succeeded: the rating does not count as a 差评
    REJECTED = "rejected"  # the rating stands; the centre still revisits the resident


class Indicators(BaseModel):
    """The four indicators of the 好差评 form, each 1-5; any may be left out."""

    model_config = ConfigDict(extra="forbid")

    overall: Score | None = None
    efficiency: Score | None = Field(None, description="办事效率")
    competence: Score | None = Field(None, description="业务水平")
    attitude: Score | None = Field(None, description="服务态度")


class RatingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"score": 5},
                {
                    "score": 2,
                    "indicators": {"overall": 2, "efficiency": 1, "competence": 3, "attitude": 3},
                    "comment": "等了很久，材料清单没有提前说清楚",
                },
            ]
        },
    )

    score: Score = Field(description="1 非常不满意, 2 不满意, 3 基本满意, 4 满意, 5 非常满意")
    indicators: Indicators = Field(default_factory=Indicators)
    comment: str | None = Field(None, min_length=1, max_length=MAX_COMMENT)


RATING_EXAMPLE: dict[str, Any] = {
    "ticket_id": "5b1f0c3e2d7a4c1e9f8a7b6c5d4e3f2a",
    "centre_id": "dinghai",
    "item_code": "HJ-QY",
    "counter_id": "w3",
    "case_number": "330902-2026-000123",
    "holder_sub": "citizen-7f3a",
    "score": 2,
    "score_label": "不满意",
    "indicators": {"overall": 2, "efficiency": 1, "competence": 3, "attitude": 3},
    "comment": "等了很久，材料清单没有提前说清楚",
    "rated_at": "2026-11-23T10:15:00Z",
}


class Rating(BaseModel):
    """A rating (好差评) of one completed ticket, linked to its case number (办件编号)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [RATING_EXAMPLE]}
    )

    ticket_id: str
    centre_id: str
    item_code: str
    counter_id: str | None
    case_number: str | None = Field(description="办件编号, copied from the ticket")
    holder_sub: str
    score: int
    score_label: str
    indicators: Indicators
    comment: str | None
    rated_at: datetime


class Revisit(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"note": "11月24日电话回访，已说明材料清单并致歉，群众表示理解"}]
        },
    )

    note: str = Field(min_length=1, max_length=MAX_NOTE, description="What the revisit found")


class Appeal(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "评价内容与所办事项无关，系误评"}]},
    )

    reason: str = Field(min_length=1, max_length=MAX_NOTE)


class AppealDecisionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"decision": "upheld"}]}
    )

    decision: AppealDecision = Field(
        description="`upheld`: the appeal succeeds, the rectification closes and the rating "
        "leaves the 差评 rate; `rejected`: it is open again and still needs a revisit"
    )


RECTIFICATION_EXAMPLE: dict[str, Any] = {
    "id": "187a9c2b3d4e5f60a1b2c3d4e5f60718",
    "ticket_id": "5b1f0c3e2d7a4c1e9f8a7b6c5d4e3f2a",
    "centre_id": "dinghai",
    "state": "open",
    "score": 2,
    "due_at": "2026-11-28T10:15:00Z",
    "overdue": False,
    "overdue_notified_at": None,
    "revisit_note": None,
    "revisited_at": None,
    "appeal_reason": None,
    "appeal_decision": None,
    "opened_at": "2026-11-23T10:15:00Z",
    "closed_at": None,
}


class Rectification(BaseModel):
    """The follow-up (整改) of a bad review: a revisit of the resident, or an appeal."""

    model_config = ConfigDict(json_schema_extra={"examples": [RECTIFICATION_EXAMPLE]})

    id: str
    ticket_id: str
    centre_id: str
    state: RectificationState
    score: int = Field(description="The rating that opened it (1 or 2)")
    due_at: datetime
    overdue: bool = Field(description="Still open after `due_at`")
    overdue_notified_at: datetime | None = Field(
        description="When `bad_review.overdue` was sent for it"
    )
    revisit_note: str | None
    revisited_at: datetime | None
    appeal_reason: str | None
    appeal_decision: AppealDecision | None
    opened_at: datetime
    closed_at: datetime | None


class OverdueCheck(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"flagged": 2}]})

    flagged: int = Field(description="Rectifications newly found overdue (each flagged once)")
