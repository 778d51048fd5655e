-- The VTN's own oadrUpdateReports that a VEN never acknowledged (oadrUpdatedReport) are sent again, as report
-- requests are (report_svc.confirmations). Per request of the VTN's reports, about its last report (the one
-- named by last_sent_request_id and last_sent_pending_id): when to look again whether the VEN acknowledged it,
-- how often it was sent again, and when the VTN stopped trying.
ALTER TABLE vtn_report_requests
    ADD COLUMN confirm_by     timestamptz,
    ADD COLUMN resends        integer NOT NULL DEFAULT 0,
    ADD COLUMN unconfirmed_at timestamptz;
CREATE INDEX vtn_report_requests_awaiting_confirmation ON vtn_report_requests (confirm_by)
    WHERE confirm_by IS NOT NULL;
