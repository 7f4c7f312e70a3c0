"""FastAPI dependencies shared by the staff API: the request's unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return factory


async def unit_of_work(
    factory: Annotated[async_sessionmaker[AsyncSession], Depends(session_factory)],
) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    async with factory() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
"""Scoped to the handler, not the request: FastAPI's default would commit after the response
is sent, so a browser following a redirect could read the state from before the commit, and
a client could be told "created" about a commit that then failed."""
