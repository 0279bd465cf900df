"""A cheap guess of a chat message's language among the six the region speaks (en, es, fr, nl, ht, pap).

Common-word counts, no model: microseconds per message, never blocking. General detectors (langdetect,
lingua) do not know Haitian Creole or Papiamento, which are the point here. A guess needs at least two
hits and a clear lead, else None ("unknown"): a sender may always name the language instead.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "received our now here yes but also plane aircraft ten we are the and is are was with from this "
        "that have has not for you we our your will at of to on boat vessel heading north south east west"
    ),
    "es": _words(
        "recibido avión diez minutos sale hay pero también ahora aquí sí está estamos el la los las es "
        "son está están con del por para que una uno y no se su sus hacia nuestro lancha buque rumbo "
        "norte sur este oeste muy"
    ),
    "fr": _words(
        "reçu avion dix il mais aussi maintenant ici oui sommes dans le la les est sont avec du des pour "
        "que une un et ne pas se son ses vers notre nous vous bateau navire cap nord sud est ouest très"
    ),
    "nl": _words(
        "ontvangen vliegtuig tien minuten maar ook nu hier ja wij zijn de het een is zijn met van voor "
        "dat en niet naar ons onze wij jullie wordt op te schip boot koers noord zuid oost west zeer"
    ),
    "ht": _words(
        "resevwa avyon dis minit men tou isit wi nou nan ak pou se li yo nou ou pa gen ki sou te ap "
        "kounye a bato wè direksyon nò sid lès lwès anpil kote"
    ),
    "pap": _words(
        "risibí dies minüt tambe awe akinan si nos ta e ta di ku i no nan bo nos boso tin un esaki awor "
        "riba pa barku boto rumbo nort zùit ost wèst hopi kaminda"
    ),
}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess_language(text: str) -> str | None:
    """The likeliest of the six languages, or None when the text gives too little to tell."""
    tokens = [w.lower() for w in _TOKEN.findall(text[:2000])]
    if not tokens:
        return None
    scores = {lang: sum(1 for w in tokens if w in words) for lang, words in _WORDS.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 2 or top < second * 1.5:
        return None
    return best
