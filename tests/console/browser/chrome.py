"""Headless Chromium through Selenium and the system chromedriver, for the console's tests.

Debian's `chromium` and `chromium-driver` packages (README, "Development"); where either
is missing the tests skip and say so. Nothing here reaches outside the machine: Selenium is
given the system chromedriver, so Selenium Manager (which would fetch driver versions and
send usage statistics) is never run, and is told to stay offline should it run anyway;
Chromium reaches no host but loopback (tests/console/browser/test_offline.py watches it).

Everything here is synchronous, as Selenium is: a test whose server runs in its own event
loop (the e2e world's console) must call these from a thread (`asyncio.to_thread`), or the
page it asks for is never served.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
# Kept after the run for a person to look at (var/ is the gitignored runtime folder).
ARTIFACTS = ROOT / "var" / "test-artifacts"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Selenium Manager's own settings (each of its options as an SE_ variable): no network, no
# usage statistics to plausible.io. Set for this process, before any driver starts.
SELENIUM_MANAGER_OFFLINE = {"SE_OFFLINE": "true", "SE_AVOID_STATS": "true"}
PHONE = (375, 812)
DESKTOP = (1280, 900)

# Each flag is here because of this machine or CI: no sandbox as root in a container, no
# GPU, a small /dev/shm, and no internet, where background networking (QUIC, component
# updates, sync, field trials) would fill the log with refused connections.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    # Overlay scrollbars, as on a phone: 375 px of window is 375 px of page.
    "--hide-scrollbars",
    "--metrics-recording-only",
    "--password-store=basic",
    # Nothing outside is looked up or connected to: every host but this machine's loopback
    # (where the console's pages are) is "not found" inside Chromium, IP addresses too, so
    # neither its background requests nor a page's stray external link leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
)


def chromium_binary() -> str | None:
    """Debian's launcher (`chromium`), or another Chromium/Chrome on PATH."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromedriver_path() -> str | None:
    if os.access(CHROMEDRIVER, os.X_OK):
        return CHROMEDRIVER
    return shutil.which("chromedriver")


def require_browser() -> tuple[str, str]:
    """(chromium, chromedriver), or skip the test with the reason and the fix."""
    binary, driver = chromium_binary(), chromedriver_path()
    if binary is None or driver is None:
        found = {"chromium": binary, "chromedriver": driver}
        missing = [name for name, path in found.items() if path is None]
        pytest.skip(
            f"no {' or '.join(missing)} on this machine: "
            "apt-get install chromium chromium-driver to run the browser tests"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed: pip install -e '.[dev]'")
    return binary, driver


@dataclass
class Chrome:
    """A running headless Chromium and the folder its downloads land in."""

    driver: Any  # selenium.webdriver.Chrome; Any so this module imports without selenium
    downloads: Path

    def quit(self) -> None:
        self.driver.quit()


def browser_setup(workdir: Path, size: tuple[int, int] = DESKTOP) -> tuple[Any, Any, Path]:
    """(Service, ChromeOptions, downloads folder) for a fresh headless Chromium under `workdir`.

    The service names the system chromedriver, so Selenium skips Selenium Manager.
    """
    binary, driver_path = require_browser()
    os.environ.update(SELENIUM_MANAGER_OFFLINE)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = workdir / "chromium-profile"
    downloads = workdir / "downloads"
    profile.mkdir(parents=True, exist_ok=True)
    downloads.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            # A PDF must land as a file, not open in Chromium's viewer.
            "plugins.always_open_pdf_externally": True,
            "safebrowsing.enabled": False,
        },
    )
    service = Service(executable_path=driver_path, log_output=str(workdir / "chromedriver.log"))
    return service, options, downloads


def start_chrome(workdir: Path, size: tuple[int, int] = DESKTOP) -> Chrome:
    """A fresh headless Chromium: its own profile and downloads folder under `workdir`."""
    service, options, downloads = browser_setup(workdir, size)
    from selenium import webdriver

    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as error:  # a broken install is a failure, not a skip: say what broke
        log = workdir / "chromedriver.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"headless Chromium did not start: {error}\n{tail}") from error
    # Headless Chromium ignores the download prefs in some versions; CDP settles it.
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True},
    )
    driver.set_page_load_timeout(30)
    return Chrome(driver, downloads)


def wait_for_download(folder: Path, suffix: str, timeout: float = 20.0) -> Path:
    """The first finished file ending in `suffix` (Chromium writes `.crdownload` first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix) and p.stat().st_size > 0]
        partial = [p for p in folder.iterdir() if p.name.endswith(".crdownload")]
        if done and not partial:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} download in {folder}: {sorted(os.listdir(folder))}")


def save_screenshot(driver: Any, name: str) -> Path:
    """A PNG of the whole page under var/test-artifacts/, at the window's width; its path printed.

    Through CDP (Page.captureScreenshot beyond the viewport) rather than by stretching the
    window: a taller window would change the layout being recorded, a phone's included.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    content = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {
        "x": 0,
        "y": 0,
        "width": content["width"],
        # A very long page (a 2,000-message transcript) is cut rather than a huge file kept.
        "height": min(content["height"], 12_000),
        "scale": 1,
    }
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"screenshot: {path}")
    return path


# --- checks run in the page -------------------------------------------------------------

OVERFLOW_JS = """
const doc = document.documentElement;
return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth,
        clientWidth: doc.clientWidth};
"""

# Every form control a person fills in, with the way it is named; hidden inputs, buttons
# and submit inputs are named by their own text or value, so they are left out.
UNLABELLED_JS = """
const out = [];
for (const el of document.querySelectorAll('input, select, textarea')) {
  const type = (el.getAttribute('type') || '').toLowerCase();
  if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
  const byFor = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
  const wrapped = el.closest('label');
  const aria = (el.getAttribute('aria-label') || '').trim();
  const labelledBy = (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
    .filter(Boolean).some(id => document.getElementById(id));
  const named = (byFor && byFor.textContent.trim()) || (wrapped && wrapped.textContent.trim())
    || aria || labelledBy;
  if (!named) out.push(el.outerHTML.slice(0, 200));
}
return out;
"""

# An element is visible when it has a box inside the viewport's width and is not hidden.
VISIBLE_JS = """
const el = arguments[0];
const r = el.getBoundingClientRect();
const s = getComputedStyle(el);
return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth + 1
  && s.visibility !== 'hidden' && s.display !== 'none';
"""


def horizontal_overflow(driver: Any) -> dict[str, int]:
    """The page's widths: scrollWidth > clientWidth means the page scrolls sideways."""
    return driver.execute_script(OVERFLOW_JS)


def unlabelled_controls(driver: Any) -> list[str]:
    return driver.execute_script(UNLABELLED_JS)


def fully_visible(driver: Any, element: Any) -> bool:
    return bool(driver.execute_script(VISIBLE_JS, element))


def tab_until(driver: Any, element: Any, limit: int = 30) -> list[str]:
    """Press Tab from the top of the page until `element` has the focus; the stops passed.

    Fails when it is not reached within `limit` presses: a control a keyboard user cannot
    reach. Call it right after a page load, so the first Tab starts at the top (Chromium
    resumes Tab order from the last element clicked, even once it is blurred).
    """
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    stops: list[str] = []
    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        if active == element:
            return stops
        stops.append(
            driver.execute_script(
                "const e = arguments[0]; return e.tagName.toLowerCase()"
                " + (e.id ? '#' + e.id : '') + (e.name ? '[name=' + e.name + ']' : '')",
                active,
            )
        )
    raise AssertionError(f"not reached in {limit} Tab presses; focus went {stops}")
