"""Staff authentication for the API: HTTP Basic against the staff users table.

Simple on purpose until the console issue adds sessions; every staff endpoint depends on
`CurrentStaff`, so hardening it later changes this one module.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from admin.deps import SessionDep
from core.staff.models import StaffUser
from core.staff.service import authenticate

basic = HTTPBasic(description="Staff email and password.")


async def current_staff(
    session: SessionDep, credentials: Annotated[HTTPBasicCredentials, Depends(basic)]
) -> StaffUser:
    user = await authenticate(session, email=credentials.username, password=credentials.password)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Unknown email or wrong password.",
            headers={"WWW-Authenticate": "Basic"},
        )
    return user


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]
