"""Domain events: the envelope, the transactional outbox and its relay, the inbox, the bus."""

from cw_shared.events.envelope import Event, new_event, subject_for
from cw_shared.events.outbox import record_event

__all__ = ["Event", "new_event", "record_event", "subject_for"]
