"""The VTN's own reports (VTN -> VEN): the METADATA it offers (VTN_OWN_REPORTS), VENs' requests for them, and
the reports it sends on their schedule."""
