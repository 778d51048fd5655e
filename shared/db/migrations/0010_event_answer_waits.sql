-- A VEN's event set is sent again while the VEN has not answered (oadrCreatedEvent) the events in it that
-- require an answer (event_svc.answer_waits): per VEN, about the set last queued (events:<version> in
-- pending_messages) or handed out: the answers it awaits ([eventID, modificationNumber] pairs), when to look
-- again whether the VEN gave them, how often the set was sent again, and when the VTN stopped trying.
ALTER TABLE ven_event_sets
    ADD COLUMN awaited        jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN confirm_by     timestamptz,
    ADD COLUMN resends        integer NOT NULL DEFAULT 0,
    ADD COLUMN unconfirmed_at timestamptz;
CREATE INDEX ven_event_sets_awaiting_answers ON ven_event_sets (confirm_by) WHERE confirm_by IS NOT NULL;
