"""The VEN's reports (VEN -> VTN): its METADATA, the report requests the VTN makes of it, the data it
sends, stored once and published on `oadr.report.data.v1`."""
