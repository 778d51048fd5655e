"""event_svc: demand-response events for VENs (EiEvent) and their opt answers (EiOpt).

The event store and its admin API arrive with the events issue; until then the VTN holds no events,
so a VEN asking for events gets an empty oadrDistributeEvent, and answers or opts about events get the
OpenADR error for an unknown id.
"""
