"""Publishing stored report data on `oadr.report.data.v1`: exactly once, in lanes, each VEN's records in order."""
