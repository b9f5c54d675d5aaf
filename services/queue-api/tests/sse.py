"""A small Server-Sent Events reader for tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Event:
    id: str | None
    event: str
    data: Any


class Stream:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, timeout: float = 5.0) -> Event:
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> Event:
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                if "data" in fields:
                    return Event(
                        fields.get("id"), fields.get("event", "message"), json.loads(fields["data"])
                    )
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        raise EOFError("the stream ended")

    async def silent_for(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._next(), seconds)
        except TimeoutError:
            return True
        return False


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> AsyncIterator[Stream]:
    async with client.stream("GET", url, headers=headers, timeout=None) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response)
