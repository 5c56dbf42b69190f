"""A headless Chromium per test module; browser tests skip with a reason where it is absent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.browser.chrome import Chrome, start_chrome


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives the browser: `-m "not browser"` leaves them out."""
    for item in items:
        if "tests/console/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chrome]:
    browser = start_chrome(tmp_path_factory.mktemp("chrome"))
    yield browser
    browser.quit()
