"""report_svc: the report ceremony both ways and telemetry (EiReport).

The report store, request policies and the VTN's own reports arrive with the reports issue; until then
the VTN applies the "request nothing" policy: it acknowledges a VEN's oadrRegisterReport without
requesting any report, and refuses report data or acknowledgements that refer to requests it never made.
"""
