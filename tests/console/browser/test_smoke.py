"""The browser fixture itself: Chromium opens a local page, runs JS, downloads, screenshots.

No console and no bot: when this fails, the browser set-up is at fault, not the console.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.console.browser.chrome import (
    PHONE,
    Chrome,
    horizontal_overflow,
    save_screenshot,
    tab_until,
    unlabelled_controls,
    wait_for_download,
)

PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Smoke</title></head>
<body><form action="/found"><label for="q">Case number</label><input id="q" name="q">
<select aria-label="Status"><option>open</option></select></form>
<a id="file" href="/file.pdf">receipt</a></body></html>"""
PDF = b"%PDF-1.4\n% smoke test\n%%EOF\n"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/file.pdf":
            body, kind = PDF, "application/pdf"
            extra = {"Content-Disposition": 'attachment; filename="smoke.pdf"'}
        elif self.path.startswith("/found"):
            body, kind, extra = f"<p id=got>{self.path}</p>".encode(), "text/html", {}
        else:
            body, kind, extra = PAGE, "text/html", {}
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_chromium_opens_a_local_page_and_downloads_a_pdf(chrome: Chrome, site: str) -> None:
    driver = chrome.driver
    driver.get(site)
    assert driver.title == "Smoke"
    assert unlabelled_controls(driver) == []
    driver.find_element(By.ID, "file").click()
    assert wait_for_download(chrome.downloads, ".pdf").read_bytes().startswith(b"%PDF")

    # Keyboard: Tab reaches the field, Enter submits the form.
    driver.get(site)
    assert tab_until(driver, driver.find_element(By.ID, "q")) == []
    driver.switch_to.active_element.send_keys("1001", Keys.ENTER)
    assert "q=1001" in driver.find_element(By.ID, "got").text

    driver.set_window_size(*PHONE)
    driver.get(site)
    widths = horizontal_overflow(driver)
    assert widths["scrollWidth"] <= widths["clientWidth"] <= widths["innerWidth"], widths
    assert save_screenshot(driver, "smoke").stat().st_size > 0


def test_an_unlabelled_field_is_found(chrome: Chrome, site: str) -> None:
    """The label check must be able to fail, or it proves nothing."""
    driver = chrome.driver
    driver.get(site)
    driver.execute_script("document.forms[0].append(document.createElement('input'))")
    assert len(unlabelled_controls(driver)) == 1


def test_no_browser_means_a_skip_that_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where Chromium is missing the tests skip with the fix, never pass without a browser."""
    from tests.console.browser import chrome as module

    monkeypatch.setattr(module, "chromium_binary", lambda: None)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver"):
        module.require_browser()
