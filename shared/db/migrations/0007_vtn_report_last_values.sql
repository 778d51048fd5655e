-- On-change requests for the VTN's own reports (report_svc.vtn_changes): the value last sent for each rID, so
-- that a reading is sent again only when it differs.
ALTER TABLE vtn_report_requests ADD COLUMN last_values jsonb NOT NULL DEFAULT '{}'::jsonb;
