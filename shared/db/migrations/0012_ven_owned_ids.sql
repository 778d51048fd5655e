-- IDs a VEN chooses or is sent are looked up among that VEN's only (shared.db.vens).
--
-- optIDs are the VEN's own: two VENs may use the same one, so an opt is keyed by (VEN, optID) and one VEN's
-- oadrCreateOpt can neither replace another's opt nor learn that its optID is taken.
ALTER TABLE opts DROP CONSTRAINT opts_pkey;
ALTER TABLE opts ADD PRIMARY KEY (ven_id, opt_id);
DROP INDEX opts_ven;

-- An acknowledgement is accepted only for a message the VTN sent that VEN: the VEN's queued messages by type
-- and requestID (their own or their eiResponse's; shared.db.pending.sent_to). Event sets are left out: answers
-- to them name events, which event_svc checks against the event's targets.
CREATE INDEX pending_messages_sent ON pending_messages
    (ven_id, message_type, (COALESCE(message ->> 'request_id', message #>> '{response,request_id}')))
    WHERE message_type <> 'oadrDistributeEvent';

-- Events an operator's on_request_event handler gave a VEN (the VTN keeps no event of its own for them): the
-- VEN's oadrCreatedEvent may answer only those. Kept while the handler keeps handing them out.
CREATE TABLE handler_event_deliveries (
    ven_id              text NOT NULL,
    event_id            text NOT NULL,
    modification_number integer NOT NULL,
    delivered_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ven_id, event_id)
);
CREATE INDEX handler_event_deliveries_delivered_at ON handler_event_deliveries (delivered_at);
