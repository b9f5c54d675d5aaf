"""Building blocks of queue-api's request schemas: partial updates and field problems."""

from __future__ import annotations

from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from cw_shared.errors import ValidationFailed


class Patch(BaseModel):
    """A partial update (PATCH): omitted fields keep their value.

    ``null`` is refused rather than read as "omitted": no catalogue field can be emptied, and a
    client that sends ``null`` meant something we should not guess.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("omit the field to keep its value; null is not allowed")
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Document the fields as optional, not as nullable: null is refused."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        for field in schema.get("properties", {}).values():
            options = [o for o in field.pop("anyOf", []) if o != {"type": "null"}]
            if len(options) == 1:
                field.update(options[0])
            elif options:
                field["anyOf"] = options
            if field.get("default", "") is None:
                del field["default"]
        return schema

    def changes(self) -> dict[str, Any]:
        """The fields sent, as JSON values (what is stored and what events carry)."""
        return self.model_dump(mode="json", exclude_unset=True)


class FieldError(TypedDict):
    location: str
    message: str
    code: str


def invalid_fields(*errors: FieldError) -> ValidationFailed:
    """A 422 shaped like request validation's, for checks that need the database (an unknown
    item, a centre that does not exist), so clients handle both the same way."""
    fields = ", ".join(sorted({error["location"] for error in errors}))
    return ValidationFailed(f"invalid fields: {fields}", errors=list(errors))
