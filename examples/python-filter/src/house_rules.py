"""House rules: the filter's logic as plain Python (no WIT bindings), so it
can be read and unit-tested on its own with `python3 -m unittest`.

Config (the `config` table of the `[[filters]]` entry, as JSON):

- `banned`: list of words or phrases. A prompt whose user text contains one
  (as a whole word, ignoring case) is rejected with a 400 naming the word.
- `footer`: text appended to every answer, whole or streamed. `{count}` in
  it becomes the number of requests this filter has let through since the
  gateway started (kept in the host's kv store).
"""

import json
import re

KNOWN_KEYS = ("banned", "footer")


class ConfigError(Exception):
    """The config is unusable; the message says why."""


class Rules:
    """A validated config."""

    def __init__(self, banned, footer):
        self.banned = banned
        self.footer = footer
        # One pattern for all words: whole words, ignoring case.
        self._pattern = (
            re.compile(
                "|".join(r"(?<!\w)" + re.escape(w) + r"(?!\w)" for w in banned),
                re.IGNORECASE,
            )
            if banned
            else None
        )

    def banned_word_in(self, text):
        """The banned word (as configured) that `text` contains, or None."""
        if self._pattern is None:
            return None
        found = self._pattern.search(text)
        if found is None:
            return None
        hit = found.group(0).lower()
        return next((w for w in self.banned if w.lower() == hit), found.group(0))

    def footer_for(self, count):
        """The footer text for the request numbered `count` ('' for none)."""
        return self.footer.replace("{count}", str(count))


def parse(text):
    """Parse and check the config JSON text; raises ConfigError."""
    text = text if text.strip() else "{}"
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise ConfigError(f"house-rules config is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ConfigError("house-rules config must be a JSON object")
    unknown = sorted(k for k in obj if k not in KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"house-rules config has unknown key `{unknown[0]}` "
            f"(known: {', '.join(KNOWN_KEYS)})"
        )
    banned = obj.get("banned", [])
    if not isinstance(banned, list) or not all(isinstance(w, str) for w in banned):
        raise ConfigError(
            "house-rules config `banned` must be a list of strings, "
            f"not {json.dumps(banned)}"
        )
    banned = [w.strip() for w in banned]
    if any(not w for w in banned):
        raise ConfigError("house-rules config `banned` has an empty word")
    footer = obj.get("footer", "")
    if not isinstance(footer, str):
        raise ConfigError(
            f"house-rules config `footer` must be a string, not {json.dumps(footer)}"
        )
    return Rules(banned, footer)


def rejection_message(word):
    """What a client is told when its prompt uses `word`."""
    return f'house rules: the prompt uses the banned word "{word}"'
