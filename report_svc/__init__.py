"""report_svc: the report ceremony (EiReport) and telemetry.

Every EiReport message a VEN sends is answered by `ven_messages`, in two directions:

The VEN's reports (VEN -> VTN, `ven_reports`): a VEN's oadrRegisterReport is stored and answered with the report requests the operator's policy chooses
(none, every telemetry report, or an OpenLEADR-style `on_register_report` handler); its oadrUpdateReports
are checked against those requests, stored once in PostgreSQL, published one record per interval on
`oadr.report.data.v1` and handed to OpenLEADR-style handlers. Operators and backends list what a VEN
offers, request and cancel reports and query the stored data through `oadr.report.commands.v1`.

The VTN's own reports (VTN -> VEN, `own_reports`): its METADATA is offered on registration and on
republish, VENs' requests for it are checked and stored, and the reports are queued for their polls.

Report messages a VEN has not confirmed are sent again (`confirmations`); stored data ages out (`retention`).
"""
