"""What operators and backends see of an event: as VENs get it now, with who was targeted and who
answered what (an oadrCreateOpt for the event counting over an oadrCreatedEvent answer)."""

from __future__ import annotations

from datetime import datetime

from event_svc import answers, store
from event_svc.delivery import StoredEvent, at_clock
from shared.contract.events import AnswerSource, EventView, VenAnswer
from shared.db.connection import Conn


async def event_view(conn: Conn, stored: StoredEvent, now: datetime) -> EventView:
    event_id = stored.event.descriptor.event_id
    targeted = await store.targeted_ven_ids(conn, stored.event.targets)
    created = await store.answers_for(conn, event_id)
    opts = await store.event_opts(conn, event_id)
    rows: list[VenAnswer] = []
    for ven_id in sorted(set(targeted) | set(created) | set(opts)):
        answer, opt = created.get(ven_id), opts.get(ven_id)
        opt_type = answers.effective_opt(answer.opt_type if answer else None, opt.opt.opt_type if opt else None)
        if opt is not None:
            rows.append(
                VenAnswer(
                    ven_id=ven_id,
                    opt_type=opt_type,
                    modification_number=opt.opt.modification_number,
                    source=AnswerSource.OPT,
                    answered_at=opt.updated_at,
                )
            )
        elif answer is not None:
            rows.append(
                VenAnswer(
                    ven_id=ven_id,
                    opt_type=opt_type,
                    modification_number=answer.modification_number,
                    source=AnswerSource.CREATED_EVENT,
                    answered_at=answer.received_at,
                )
            )
        else:
            rows.append(VenAnswer(ven_id=ven_id))
    return EventView(event=at_clock(stored, now), as_of=now, answers=tuple(rows))
