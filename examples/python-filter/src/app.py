"""The `house-rules` filter plugin for wasmgate, in Python.

`componentize-py` turns this module (the `filter-plugin` world's `filter`
export) plus `filter.py` (the exported `stream-filter` resource, which must
live in a module named after its interface) into a WebAssembly component.

The gateway makes one fresh instance per request, so the module-level state
in `state.py` lives exactly as long as one request and its stream.
"""

from componentize_py_types import Err

from wit_world import exports
from wit_world.exports.filter import (
    RequestAction,
    RequestAction_Pass,
    RequestAction_Reject,
)
from wit_world.imports import kv, log
from wit_world.imports.types import (
    ContentPart_Text,
    Error,
    ErrorKind,
    Request,
    RequestContext,
    Response,
    Role,
)

import house_rules
import state


class Filter(exports.Filter):
    def init(self) -> None:
        rules = state.load_rules()
        log.write(
            log.Level.DEBUG,
            f"house rules: {len(rules.banned)} banned word(s), "
            f"footer {'set' if rules.footer else 'unset'}",
        )

    def on_request(self, ctx: RequestContext, req: Request) -> RequestAction:
        try:
            rules = state.load_rules()
        except Err as e:
            return RequestAction_Reject(state.broken_config(e.value))
        for message in req.messages:
            if message.role != Role.USER:
                continue
            for part in message.content:
                if not isinstance(part, ContentPart_Text):
                    continue
                word = rules.banned_word_in(part.value)
                if word is not None:
                    log.write(
                        log.Level.INFO,
                        f"request {ctx.request_id}: rejected, the prompt uses {word!r}",
                    )
                    return RequestAction_Reject(
                        Error(
                            kind=ErrorKind.CONTENT_FILTER,
                            message=house_rules.rejection_message(word),
                            status=400,
                            retryable=False,
                        )
                    )
        state.count = count_request()
        log.write(log.Level.DEBUG, f"request {ctx.request_id}: allowed (#{state.count})")
        # Unchanged: `pass` spares copying the request back to the gateway.
        return RequestAction_Pass()

    def on_response(self, ctx: RequestContext, resp: Response) -> Response:
        try:
            rules = state.load_rules()
        except Err as e:
            raise Err(state.broken_config(e.value))
        footer = rules.footer_for(state.count)
        if not footer:
            return resp
        for part in reversed(resp.content):
            if isinstance(part, ContentPart_Text):
                part.value += footer
                return resp
        resp.content.append(ContentPart_Text(footer))
        return resp


def count_request() -> int:
    """Add one to the shared request counter in the host's kv store."""
    raw = kv.get(state.COUNTER_KEY)
    try:
        count = int(raw.decode()) + 1 if raw is not None else 1
    except ValueError:
        count = 1
    try:
        kv.set(state.COUNTER_KEY, str(count).encode(), None)
    except Err as e:
        log.write(log.Level.WARN, f"cannot store the request counter: {e.value}")
    return count
