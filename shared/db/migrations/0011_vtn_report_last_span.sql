-- Where the span of the VTN's last oadrUpdateReport for a request began: if the VEN never acknowledges that
-- report, the next periodic one covers the span again (report_svc.vtn_schedule.lost_span_start).
ALTER TABLE vtn_report_requests ADD COLUMN last_sent_from timestamptz;
