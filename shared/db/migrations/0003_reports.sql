-- Reports (EiReport, VEN -> VTN): what each VEN offers, what the VTN requested, and the data received.

-- The METADATA reports of a VEN's latest oadrRegisterReport, one row per report specifier.
CREATE TABLE ven_report_offers (
    ven_id              text NOT NULL,
    report_specifier_id text NOT NULL,
    report_name         text,
    report              jsonb NOT NULL,
    registered_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ven_id, report_specifier_id)
);

-- Report requests the VTN made of VENs. `callbacks` maps rID -> "module:function" of an OpenLEADR-style
-- report callback that survives restarts.
CREATE TABLE report_requests (
    report_request_id   text PRIMARY KEY,
    ven_id              text NOT NULL,
    report_specifier_id text NOT NULL,
    report_name         text,
    request             jsonb NOT NULL,
    status              text NOT NULL CHECK (status IN ('requested', 'created', 'cancel_requested', 'cancelled')),
    report_to_follow    boolean NOT NULL DEFAULT false,
    cancel_request_id   text,
    callbacks           jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_requests_by_ven ON report_requests (ven_id, status);

-- One row per interval and data point; the key makes a resent report a no-op. The table is also the
-- outbox of the report-data topic: `seq` orders publication and names the record, `published` marks it done.
CREATE TABLE report_data (
    seq                 bigserial UNIQUE,
    published           boolean NOT NULL DEFAULT false,
    ven_id              text NOT NULL,
    report_request_id   text NOT NULL,
    r_id                text NOT NULL,
    dtstart             timestamptz NOT NULL,
    duration            interval,
    report_specifier_id text NOT NULL,
    report_name         text,
    value               double precision,
    status              jsonb,
    units               jsonb,
    reading_type        text,
    received_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ven_id, report_request_id, r_id, dtstart),
    CHECK ((value IS NULL) <> (status IS NULL))
);
CREATE INDEX report_data_by_point ON report_data (ven_id, r_id, dtstart);
CREATE INDEX report_data_unpublished ON report_data (seq) WHERE NOT published;
