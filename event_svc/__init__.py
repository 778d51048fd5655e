"""event_svc: demand-response events for VENs (EiEvent) and their opt answers (EiOpt).

It owns the event store, works out each VEN's full set of events (queued for its next poll whenever the set
changes, including when the clock moves an event along), answers oadrRequestEvent, stores and publishes
oadrCreatedEvent answers and oadrCreateOpt/oadrCancelOpt opts, and serves the event commands of operators
and backends (`oadr.event.commands.v1`).
"""
