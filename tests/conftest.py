"""Shared fixtures: a Lua session per runtime lupa ships here."""

from __future__ import annotations

import pytest

from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession

RUNTIMES = available_runtimes()


@pytest.fixture(params=RUNTIMES)
def session(request: pytest.FixtureRequest) -> LuaSession:
    return LuaSession(request.param, {})
