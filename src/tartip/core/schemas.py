"""Pydantic base for API schemas, paging and the error body."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class TartipModel(BaseModel):
    """Base of every API schema: built from ORM objects, strict about unknown input."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class ProblemDetail(BaseModel):
    """One thing wrong with a request."""

    where: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error answer."""

    code: str
    message: str
    problems: list[ProblemDetail] = []


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    page: int
    size: int
