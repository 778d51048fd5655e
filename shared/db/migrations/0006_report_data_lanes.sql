-- Report data is published in lanes, one per partition of the report-data topic, so that several report_svc
-- instances can publish at once (report_svc.relay_lanes). `lane` is the partition a row's record goes to: the
-- partition Kafka's default partitioner picks for its VEN. Rows stored before this migration, or by an older
-- report_svc during a rolling upgrade, have none: the relay gives them theirs before each batch it publishes,
-- looking them up in an index that is empty but for them.
ALTER TABLE report_data ADD COLUMN lane smallint;
CREATE INDEX report_data_laneless ON report_data (seq) WHERE lane IS NULL AND NOT published;
