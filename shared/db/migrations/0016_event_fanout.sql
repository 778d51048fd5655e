-- The VENs each event names by venID, one row each, so that "which events name any of these VENs" is an
-- index look-up: comparing every event's venID array with a batch of VENs cost events x named VENs x batch,
-- tens of milliseconds per event once events name thousands of VENs. events.target_ven_ids stays the
-- event's own list; this table is kept equal to it by event_svc (store.save_event).
CREATE TABLE event_target_vens (
    ven_id   text NOT NULL,
    event_id text NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    PRIMARY KEY (ven_id, event_id)
);
CREATE INDEX event_target_vens_event ON event_target_vens (event_id);

INSERT INTO event_target_vens (ven_id, event_id)
SELECT DISTINCT ven_id, event_id FROM events, unnest(target_ven_ids) AS ven_id;

-- Event changes whose VENs' sets are still to be queued: written in the change's transaction, taken by
-- event_svc's fan-out (event_svc.fanout), which queues in one go the sets of every VEN the changes it takes
-- reach. Changes that arrive together (a program-wide dispatch of many events) so cost one refresh of each
-- VEN, not one per change and VEN.
CREATE TABLE event_fanouts (
    id         bigserial PRIMARY KEY,
    event_id   text NOT NULL,
    targets    jsonb NOT NULL,  -- the targets of the event after the change and, if they differed, before it
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A message many VENs get but for their venID and requestID (an event set shared by many VENs) is stored
-- once: their pending_messages rows name the body and hold their requestID, and a reader fills both in
-- (shared.db.pending.message_text). A set of ten events for a thousand VENs so writes ten copies' worth of
-- rows, not ten thousand events.
CREATE TABLE pending_bodies (
    id      bigserial PRIMARY KEY,
    message text NOT NULL  -- the message's JSON, with a mark where each VEN's venID and requestID go
);
ALTER TABLE pending_messages
    ALTER COLUMN message DROP NOT NULL,
    ADD COLUMN body_id bigint REFERENCES pending_bodies (id),
    ADD COLUMN request_id text,
    ADD CONSTRAINT pending_messages_message_or_body CHECK (message IS NOT NULL OR body_id IS NOT NULL);
CREATE INDEX pending_messages_body ON pending_messages (body_id) WHERE body_id IS NOT NULL;
