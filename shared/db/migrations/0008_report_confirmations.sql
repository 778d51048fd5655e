-- Report requests, cancels and the VTN's METADATA that a VEN never confirmed are sent again
-- (report_svc.confirmations). Per message: the queued message last sent (NULL: it went out in an HTTP answer,
-- the oadrRegisteredReport), when to look again whether the VEN confirmed, how often it was sent again, and
-- when the VTN stopped trying.
ALTER TABLE report_requests
    ADD COLUMN sent_pending_id bigint,
    ADD COLUMN confirm_by      timestamptz,
    ADD COLUMN resends         integer NOT NULL DEFAULT 0,
    ADD COLUMN unconfirmed_at  timestamptz;
CREATE INDEX report_requests_awaiting_confirmation ON report_requests (confirm_by) WHERE confirm_by IS NOT NULL;

ALTER TABLE vtn_report_registrations
    ADD COLUMN sent_pending_id bigint,
    ADD COLUMN confirm_by      timestamptz,
    ADD COLUMN resends         integer NOT NULL DEFAULT 0,
    ADD COLUMN unconfirmed_at  timestamptz;
CREATE INDEX vtn_report_registrations_awaiting_confirmation ON vtn_report_registrations (confirm_by)
    WHERE confirm_by IS NOT NULL;

-- The VTN's last oadrUpdateReport for a request (its requestID and queued message) and whether the VEN
-- acknowledged it: an on-change report compares with the values last sent only if the VEN has them
-- (report_svc.vtn_changes.baseline).
ALTER TABLE vtn_report_requests
    ADD COLUMN last_sent_request_id   text,
    ADD COLUMN last_sent_pending_id   bigint,
    ADD COLUMN last_sent_acknowledged boolean NOT NULL DEFAULT true;
