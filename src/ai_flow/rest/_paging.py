"""Paging shared by every list route: `limit` and `offset` in, `total_entries` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel

from ai_flow.metadata import DEFAULT_LIMIT, MAX_LIMIT

# Ids are BIGINT in every database: larger numbers cannot name a row.
MAX_ID = 2**63 - 1
MAX_OFFSET = 2**31 - 1

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class PageArgs:
    limit: int
    offset: int


def page_args(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="entries in the page")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="entries skipped")] = 0,
) -> PageArgs:
    return PageArgs(limit, offset)


class PageOut(BaseModel):
    """Common fields of a page: `total_entries` counts all matches, not just this page."""

    total_entries: int
    limit: int
    offset: int
