"""The console's pages: the case list, one case with its receipt, and the live queue.

Patients are named by case number and display name only: no page is given a Telegram id
(the queries do not even select one). Every case view and receipt download is audited.

- case_list.py: the list, its filters read and checked;
- case.py: one case from start to end, and its consent receipt;
- queue.py: the cases waiting for staff;
- translations.py: the translated texts the client's translator has not reviewed;
- views.py: what they share (labels, times, a case row as pages show it, the 404).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from console.pages.case import case_page, receipt_pdf, transcript_html
from console.pages.case_list import ParsedFilters, case_list, home, parse_filters
from console.pages.queue import queue_page
from console.pages.translations import translations_page
from console.pages.views import duration, not_found, reference_of

__all__ = [
    "ParsedFilters",
    "duration",
    "not_found",
    "parse_filters",
    "reference_of",
    "routes",
    "transcript_html",
]

routes: list[BaseRoute] = [
    Route("/", home, methods=["GET"], name="home"),
    Route("/cases", case_list, methods=["GET"], name="cases"),
    Route("/cases/{reference}", case_page, methods=["GET"], name="case"),
    Route("/cases/{reference}/receipt.pdf", receipt_pdf, methods=["GET"], name="case_receipt"),
    Route("/queue", queue_page, methods=["GET"], name="queue"),
    Route("/translations", translations_page, methods=["GET"], name="translations"),
]
