"""The coordinators' console in a real browser (issue 14, points 5 and 7), on the real bot.

A patient reaches a person with a full consent, so the case has a receipt; a staff member
asks the bot for a console link with /console in a private chat; headless Chromium follows
it, finds the case by its number, downloads the receipt, sees the funnel plot drawn, and
the pages are checked 375 px wide and by keyboard. Screenshots land in var/test-artifacts/.

The console is served by uvicorn in this test's own event loop (the Runtime's), and
Selenium blocks: every browser step runs in a thread (`asyncio.to_thread`) so the loop
keeps serving the pages it asks for.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.console.browser.chrome import (
    DESKTOP,
    PHONE,
    Chrome,
    fully_visible,
    horizontal_overflow,
    save_screenshot,
    start_chrome,
    tab_until,
    unlabelled_controls,
    wait_for_download,
)
from tests.e2e.harness import World, button_labels, joined, texts

pytestmark = pytest.mark.browser

WAIT = 15.0  # seconds a page may take to answer; the bot shares two CPUs with the suite
LINK = re.compile(r"https?://[^\s<>\"')]+")

# Where the console's pages put the controls the test needs. Several candidates each, so a
# harmless change of markup does not break the journey; the first one found is used.
SEARCH_FIELD = ("input[type=search]", "input[name=q]", "input[name=reference]", "#search")
SUBMIT = ("main form button[type=submit]", "main form input[type=submit]", "main form button")
CASE_ROW_LINK = "a[href$='/cases/{reference}']"
RECEIPT_LINK = "a[href$='/cases/{reference}/receipt.pdf']"
FUNNEL_IMG_JS = """
return [...document.images].find(img => /funnel/i.test(
  (img.alt || '') + ' ' + (img.id || '') + ' ' + img.getAttribute('src'))) || null;
"""
# A keyboard user must see where the focus is: the focused control draws an outline.
FOCUS_SHOWN_JS = """
const s = getComputedStyle(arguments[0]);
return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
"""
IMG_DRAWN_JS = "const i = arguments[0]; return i.complete && i.naturalWidth > 0;"


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chrome]:
    """One headless Chromium for the module (skips with the fix where none is installed)."""
    browser = start_chrome(tmp_path_factory.mktemp("console-chrome"))
    yield browser
    browser.quit()


# --- the Telegram side -----------------------------------------------------------------


async def consented_case(world: World) -> str:
    """A patient checks a second opinion, agrees to all five clauses and is handed off.

    The same steps as test_patient_journey, without its checks: what matters here is a case
    with consent records, so the console has a receipt to offer. Returns the case number.
    """
    patient = await world.new_patient("Lata", "Browser")
    await patient.send("breast lift cosmetic or plastic?")
    await patient.press("Second opinion")
    await patient.send(
        "my surgeon says the operation is risky and honestly I don't trust him anymore"
    )
    for _ in range(4):
        if "Continue" in button_labels(patient.history[-1]):
            break
        await patient.press("No")
    await patient.press("Continue")
    done: list[dict[str, Any]] = []
    for _ in range(5):
        done = await patient.press("I agree")
    assert any(r["kind"] == "document" for r in done), texts(done)
    handoff = [t for t in texts(done) if "Your case" in t]
    assert handoff, joined(done)
    return handoff[0].split("Your case")[1].split()[0].strip(".,;:")


def links_in(record: dict[str, Any]) -> list[str]:
    """Every URL a bot message carries: in its text, its entities, or a URL button."""
    # `text` is as sent, HTML included: a link inside it is HTML-escaped (&amp;).
    found = [html.unescape(url) for url in LINK.findall(record.get("text") or "")]
    found += [e["url"] for e in record.get("entities") or [] if e.get("url")]
    markup = record.get("reply_markup") or {}
    found += [b["url"] for row in markup.get("inline_keyboard", []) for b in row if b.get("url")]
    return found


async def console_link(world: World, staff_id: int) -> str:
    """/console in the staff member's private chat with the bot; the one-time link sent."""
    before = len(await world.emulator.bot_messages(staff_id))
    await world.emulator.send_user_message(staff_id, "/console")
    await world.idle()
    replies = (await world.emulator.bot_messages(staff_id))[before:]
    links = [url for record in replies for url in links_in(record) if "signin" in url]
    assert links, f"no sign-in link in the bot's answer to /console: {texts(replies)}"
    return links[-1]


# --- the browser side (synchronous: run in a thread) -----------------------------------


def wait_until(driver: Any, condition: Any, what: str, timeout: float = WAIT) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        raise AssertionError(f"{what} (at {driver.current_url})") from None


def first_of(driver: Any, selectors: tuple[str, ...], what: str) -> Any:
    from selenium.webdriver.common.by import By

    for selector in selectors:
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        if found:
            return found[0]
    raise AssertionError(f"no {what} on {driver.current_url} (tried {selectors})")


def path_of(driver: Any) -> str:
    return urlsplit(driver.current_url).path


def sign_in(driver: Any, link: str) -> str:
    """Follow the one-time link; the console's base URL, once signed in on /cases."""
    driver.get(link)
    wait_until(driver, lambda d: path_of(d) == "/cases", "the sign-in link did not end on /cases")
    assert "Sign out" in driver.page_source, "on /cases but not signed in"
    parts = urlsplit(driver.current_url)
    return f"{parts.scheme}://{parts.netloc}"


def search_for(driver: Any, base: str, reference: str) -> None:
    """Type the case number into the search field and press Enter."""
    from selenium.webdriver.common.keys import Keys

    driver.get(f"{base}/cases")
    field = first_of(driver, SEARCH_FIELD, "search field")
    field.clear()
    field.send_keys(reference, Keys.ENTER)
    wait_until(
        driver,
        lambda d: reference in urlsplit(d.current_url).query,
        f"Enter in the search field did not search for {reference}",
    )


def open_case(driver: Any, base: str, reference: str) -> None:
    from selenium.webdriver.common.by import By

    search_for(driver, base, reference)
    rows = driver.find_elements(By.CSS_SELECTOR, CASE_ROW_LINK.format(reference=reference))
    assert rows, f"case {reference} not in the search results"
    rows[0].click()
    wait_until(
        driver, lambda d: path_of(d) == f"/cases/{reference}", f"case {reference} did not open"
    )
    assert reference in driver.find_element(By.TAG_NAME, "main").text


def download_receipt(chrome: Chrome, reference: str) -> Path:
    from selenium.webdriver.common.by import By

    driver = chrome.driver
    for old in chrome.downloads.iterdir():
        old.unlink()
    selector = RECEIPT_LINK.format(reference=reference)
    links = driver.find_elements(By.CSS_SELECTOR, selector)
    assert links, f"no receipt link ({selector}) on the case page"
    links[0].click()
    return wait_for_download(chrome.downloads, ".pdf")


def funnel_drawn(driver: Any, base: str) -> None:
    driver.get(f"{base}/reports")
    image = driver.execute_script(FUNNEL_IMG_JS)
    assert image is not None, "no funnel <img> on /reports (alt, id or src naming 'funnel')"
    wait_until(
        driver,
        lambda d: d.execute_script(IMG_DRAWN_JS, image),
        "the funnel plot did not load (naturalWidth 0: the PNG failed)",
    )


def no_sideways_scroll(driver: Any, page: str) -> None:
    """The page is no wider than the window. Against clientWidth, the viewport without its
    scrollbar: desktop Chromium's scrollbar takes 15 px a phone's overlay one does not, so
    this is stricter than innerWidth and what passes here passes on a phone."""
    widths = horizontal_overflow(driver)
    assert widths["scrollWidth"] <= widths["clientWidth"] <= widths["innerWidth"], (
        f"{page} scrolls sideways at {PHONE[0]} px: {widths}"
    )


def visible_at_phone_width(driver: Any, element: Any, what: str) -> None:
    """Scrolled to, the control lies wholly inside the 375 px viewport."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    assert fully_visible(driver, element), f"{what} is not fully visible at 375 px"


def controls_fit(driver: Any, page: str) -> None:
    """The header's links and sign-out, and every field and button of the page's forms,
    each wholly inside the 375 px viewport once scrolled to."""
    from selenium.webdriver.common.by import By

    header = driver.find_elements(By.CSS_SELECTOR, "header nav a, header button")
    assert len(header) >= 4, f"{page}: the header's links (cases, queue, reports) and sign-out"
    fields = driver.find_elements(
        By.CSS_SELECTOR, "main form input:not([type=hidden]), main form select, main form button"
    )
    assert fields, f"{page}: no form controls in <main>"
    for control in [*header, *fields]:
        name = control.text or control.get_attribute("name") or control.get_attribute("id")
        visible_at_phone_width(driver, control, f"{page}: the {name!r} control")


def journey(chrome: Chrome, base: str, reference: str) -> dict[str, Path]:
    """Find and open the case, download its receipt, see the funnel; screenshots kept."""
    driver = chrome.driver
    driver.set_window_size(*DESKTOP)
    open_case(driver, base, reference)
    shots = {"case": save_screenshot(driver, "console-case")}
    pdf = download_receipt(chrome, reference)
    assert pdf.read_bytes().startswith(b"%PDF"), f"{pdf} is not a PDF"
    funnel_drawn(driver, base)
    shots["reports"] = save_screenshot(driver, "console-reports")
    return shots


def phone_and_keyboard(chrome: Chrome, base: str, reference: str) -> dict[str, Path]:
    """375 px wide: no page scrolls sideways, the main controls show; Tab and Enter work."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = chrome.driver
    driver.set_window_size(*PHONE)
    try:
        driver.get(f"{base}/cases")
        no_sideways_scroll(driver, "/cases")
        first_of(driver, SEARCH_FIELD, "search field")
        first_of(driver, SUBMIT, "button that applies the filters")
        controls_fit(driver, "/cases")

        # The first Tab offers to skip the header, and the link shows while focused.
        driver.get(f"{base}/cases")
        ActionChains(driver).send_keys(Keys.TAB).perform()
        skip = driver.switch_to.active_element
        assert (skip.get_attribute("href") or "").endswith("#main"), "no skip link first"
        assert fully_visible(driver, skip), "the focused skip link is off screen"

        # Keyboard only: Tab from the top reaches the search field, Enter searches.
        driver.get(f"{base}/cases")
        field = first_of(driver, SEARCH_FIELD, "search field")
        tab_until(driver, field)
        assert driver.execute_script(FOCUS_SHOWN_JS, field), "the focused field shows no outline"
        driver.switch_to.active_element.send_keys(reference, Keys.ENTER)
        wait_until(
            driver,
            lambda d: reference in urlsplit(d.current_url).query,
            "Enter in the search field reached by Tab did not search",
        )
        row = driver.find_elements(By.CSS_SELECTOR, CASE_ROW_LINK.format(reference=reference))
        assert row, f"case {reference} not found by a keyboard search"
        no_sideways_scroll(driver, "/cases?search")
        visible_at_phone_width(driver, row[0], f"the link to case {reference}")
        shots = {"cases-phone": save_screenshot(driver, "console-cases-375px")}

        driver.get(f"{base}/cases/{reference}")
        no_sideways_scroll(driver, f"/cases/{reference}")
        receipt = driver.find_elements(By.CSS_SELECTOR, RECEIPT_LINK.format(reference=reference))
        assert receipt, "no receipt link on the case page at 375 px"
        visible_at_phone_width(driver, receipt[0], "the receipt link")
        shots["case-phone"] = save_screenshot(driver, "console-case-375px")

        driver.get(f"{base}/queue")
        no_sideways_scroll(driver, "/queue")
        driver.get(f"{base}/translations")
        no_sideways_scroll(driver, "/translations")
        driver.get(f"{base}/reports")
        no_sideways_scroll(driver, "/reports")
        controls_fit(driver, "/reports")
        shots["reports-phone"] = save_screenshot(driver, "console-reports-375px")
        return shots
    finally:
        driver.set_window_size(*DESKTOP)


def labelled(chrome: Chrome, base: str, reference: str) -> None:
    """Every field on the console's pages is named by a <label> or an aria-label."""
    driver = chrome.driver
    for page in ("/cases", "/reports", "/queue", "/translations", f"/cases/{reference}"):
        driver.get(f"{base}{page}")
        missing = unlabelled_controls(driver)
        assert missing == [], f"controls on {page} without a label: {missing}"
        # A plot says in words what it shows, for a screen reader.
        bare = driver.execute_script(
            "return [...document.images].filter(i => !(i.alt || '').trim()).map(i => i.src)"
        )
        assert bare == [], f"images on {page} without an alt text: {bare}"


# --- the tests -------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def signed_in(world: World, chrome: Chrome) -> dict[str, str]:
    """A consented case, and the browser signed in by the first staff member's link."""
    reference = await consented_case(world)
    link = await console_link(world, world.staff_ids[0])
    base = await asyncio.to_thread(sign_in, chrome.driver, link)
    return {"reference": reference, "base": base}


async def test_sign_in_by_link_open_a_case_download_its_receipt_and_see_the_funnel(
    signed_in: dict[str, str], chrome: Chrome
) -> None:
    shots = await asyncio.to_thread(journey, chrome, signed_in["base"], signed_in["reference"])
    for name, path in shots.items():
        assert path.stat().st_size > 0, f"the {name} screenshot is empty"


async def test_pages_work_375px_wide_and_by_keyboard(
    signed_in: dict[str, str], chrome: Chrome
) -> None:
    shots = await asyncio.to_thread(
        phone_and_keyboard, chrome, signed_in["base"], signed_in["reference"]
    )
    assert all(path.stat().st_size > 0 for path in shots.values())


async def test_every_field_has_a_label(signed_in: dict[str, str], chrome: Chrome) -> None:
    await asyncio.to_thread(labelled, chrome, signed_in["base"], signed_in["reference"])


def translations_listed(chrome: Chrome, base: str) -> int:
    """The translations page in the browser: its rows, each a Hindi text and its English."""
    driver = chrome.driver
    driver.get(f"{base}/translations")
    cells = driver.execute_script(
        "return [...document.querySelectorAll('td[lang=hi]')].map(c => c.innerText)"
    )
    english = driver.execute_script(
        "return [...document.querySelectorAll('tbody tr td:nth-of-type(1)')]"
        ".filter(c => c.innerText.trim()).length"
    )
    assert cells and all(re.search("[\u0900-\u097f]", c) for c in cells[:50]), cells[:3]
    assert english == len(cells)
    # Drawn in the served Devanagari font, not in boxes: the browser loaded it for them.
    loaded = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "document.fonts.ready.then(() => done([...document.fonts]"
        ".filter(f => f.family.includes('Noto Sans Devanagari')).map(f => f.status)));"
    )
    assert loaded == ["loaded"], loaded
    save_screenshot(driver, "console-translations")
    return len(cells)


async def test_the_translations_to_review_are_listed(
    signed_in: dict[str, str], chrome: Chrome
) -> None:
    from translation.status import unreviewed

    shown = await asyncio.to_thread(translations_listed, chrome, signed_in["base"])
    assert shown == len(unreviewed("hi"))
