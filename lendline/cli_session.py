"""One unit of work on the configured database for a CLI command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from lendline.settings import Settings

T = TypeVar("T")


def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]], *,
                   commit: bool = True) -> T:
    """Run `work` in one transaction on the configured database (rolled back instead of
    committed when `commit` is false, as for a dry run); a domain error exits with its message
    and changes nothing."""
    from lendline.services import start_services

    async def run() -> T:
        services = await start_services(settings)
        try:
            async with services.session_factory() as session:
                result = await work(session)
                await (session.commit() if commit else session.rollback())
                return result
        finally:
            await services.close()

    try:
        return asyncio.run(run())
    except DomainError as error:
        raise SystemExit(error.message) from None
