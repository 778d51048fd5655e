"""report_svc: the report ceremony (EiReport) and telemetry.

A VEN's oadrRegisterReport is stored and answered with the report requests the operator's policy chooses
(none, every telemetry report, or an OpenLEADR-style `on_register_report` handler); its oadrUpdateReports
are checked against those requests, stored once in PostgreSQL, published one record per interval on
`oadr.report.data.v1` and handed to OpenLEADR-style handlers. Operators and backends list what a VEN
offers, request and cancel reports and query the stored data through `oadr.report.commands.v1`.

The VTN's own reports (VTN -> VEN, the vtn_* modules): its METADATA is offered on registration and on
republish, VENs' requests for it are checked and stored, and the reports are queued for their polls.
"""
