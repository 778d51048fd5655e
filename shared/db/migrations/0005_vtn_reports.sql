-- Reports the VTN itself offers (EiReport, VTN -> VEN): the METADATA sent to each VEN, the VENs' requests
-- for those reports and where each stands; and an index for the retention purge of received report data.

-- Every oadrRegisterReport the VTN sent a VEN; `acknowledged_at` is set by the VEN's oadrRegisteredReport.
CREATE TABLE vtn_report_registrations (
    ven_id          text NOT NULL,
    request_id      text NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    PRIMARY KEY (ven_id, request_id)
);

-- A VEN's request (oadrCreateReport, or piggy-backed in oadrRegisteredReport) for one of the VTN's reports.
-- reportRequestIDs are the VEN's, so they are unique per VEN only. `next_report_at` is when the next
-- oadrUpdateReport is due (NULL: nothing more to send); `covered_until` is the end of the data sent so far.
CREATE TABLE vtn_report_requests (
    ven_id              text NOT NULL,
    report_request_id   text NOT NULL,
    report_specifier_id text NOT NULL,
    request             jsonb NOT NULL,
    status              text NOT NULL CHECK (status IN ('active', 'cancelled', 'completed')),
    next_report_at      timestamptz,
    covered_until       timestamptz,
    reports_sent        integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ven_id, report_request_id)
);
CREATE INDEX vtn_report_requests_due ON vtn_report_requests (next_report_at) WHERE next_report_at IS NOT NULL;

-- Retention: received report data older than VTN_REPORT_RETENTION_DAYS is purged by arrival time.
CREATE INDEX report_data_received_at ON report_data (received_at);
