"""The node's languages: message catalogues (`locales/<lang>.json`, shared with the web page), structured
chat reports rendered in a reader's language (`render.py`), and a cheap guess of a text's language
(`detect.py`)."""

LANGUAGES = ("en", "es", "fr", "nl", "ht", "pap")
