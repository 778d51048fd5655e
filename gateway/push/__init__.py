"""The pusher: delivers the pending messages of push VENs (registered with oadrHttpPullModel false) by POSTing
them to each VEN's transport address, and hands each VEN's answer to the service that owns it.

    python -m gateway.push

    VenChanged(push) ──▶ dispatcher (lanes = partitions of oadr.ven.changes.v1 this instance holds)
                             └─ one VenLane per VEN with messages waiting: one message at a time, in order
                                  └─ deliverer (edge: HTTP push today) ─ POST, answer decoded and checked
                                  └─ handover ─ the answer to its service, as if the VEN had sent it
                                  └─ PendingDelivered ─ registration_svc marks the message delivered

It lives in the gateway package because XML and VEN-facing HTTP live at the edge; it runs as a process of
its own so that it scales apart from the request path. See docs/push.md.
"""
