"""The Hindi texts still to be reviewed by the client's translator (translation/status.py).

Until a text is signed off it is the project's own translation: the page lists each one with
its English, where it lives, and how to mark it reviewed (README, "Translations").
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from console.auth import template_context
from console.templating import templates
from translation.status import languages, problems, unreviewed

LANGUAGE_NAMES = {"hi": "Hindi"}


async def translations_page(request: Request) -> Response:
    """Every translated text not yet reviewed, by language and file."""
    sections = [
        {
            "language": LANGUAGE_NAMES.get(language, language),
            "code": language,
            "texts": [
                {
                    "file": f"content/{language}/{leaf.file}",
                    "path": leaf.path,
                    "english": leaf.english,
                    "translation": leaf.text,
                }
                for leaf in unreviewed(language)
            ],
            "problems": problems(language),
        }
        for language in languages()
    ]
    return templates.TemplateResponse(
        request, "translations.html", template_context(request, sections=sections)
    )
