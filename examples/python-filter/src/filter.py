"""The exported `stream-filter` resource. componentize-py looks it up in a
module named after the WIT interface that declares it (`filter`)."""

from typing import List

from componentize_py_types import Err

from wit_world import exports
from wit_world.imports.types import (
    RequestContext,
    StreamEvent,
    StreamEvent_Finish,
    StreamEvent_TextDelta,
)

import state


class StreamFilter(exports.filter.StreamFilter):
    """Passes events through and sends the footer as a last text delta,
    right before the `finish` event."""

    def __init__(self, ctx: RequestContext) -> None:
        try:
            self.footer = state.load_rules().footer_for(state.count)
        except Err:
            # `init` validated the config; one that fails now adds nothing.
            self.footer = ""

    def on_events(self, events: List[StreamEvent]) -> List[StreamEvent]:
        if not self.footer:
            return events
        out: List[StreamEvent] = []
        for event in events:
            if isinstance(event, StreamEvent_Finish) and self.footer:
                out.append(StreamEvent_TextDelta(self.footer))
                self.footer = ""
            out.append(event)
        return out

    def finish(self) -> List[StreamEvent]:
        return []
