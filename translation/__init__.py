"""The patient's language: which one, and the Hindi texts laid over the English content.

English is the source: every content file under `content/` is written in English, and
`content/hi/<same name>.yml` holds the Hindi for the texts a patient sees, each leaf as
`{hi: "...", reviewed: false}` until the client's translator signs it off. Nothing is
machine-translated at run time: a text without Hindi fails a test, not a patient.
"""

LANGUAGES = ("en", "hi")
DEFAULT_LANGUAGE = "en"
