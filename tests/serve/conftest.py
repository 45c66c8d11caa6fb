"""Fixtures of the dev-server tests. Their `briefing` (a briefing with a known
summary) takes precedence here over the suite-wide one in tests/conftest.py."""

import pytest

pytest.register_assert_rewrite("tests.serve_support")

from tests.serve_support import briefing, chromium, page, served  # noqa: E402, F401
