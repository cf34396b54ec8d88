"""Per-instance state and config loading, shared by `app` and `filter`."""

from componentize_py_types import Err

from wit_world.imports import config
from wit_world.imports.types import Error, ErrorKind

import house_rules

# The kv key of the number of requests let through (shared by every instance).
COUNTER_KEY = "requests"

# This request's number, set by `on-request` (one instance serves one request).
count = 0

_rules = None


def load_rules() -> house_rules.Rules:
    """The config, parsed once per instance; raises Err(Error) when unusable."""
    global _rules
    if _rules is None:
        try:
            _rules = house_rules.parse(config.get())
        except house_rules.ConfigError as e:
            raise Err(
                Error(
                    kind=ErrorKind.INVALID_REQUEST,
                    message=str(e),
                    status=400,
                    retryable=False,
                )
            )
    return _rules


def broken_config(e: Error) -> Error:
    """A config that passed `init` but fails now is the plugin's fault."""
    return Error(kind=ErrorKind.PLUGIN, message=e.message, status=500, retryable=False)
