-- HTTP push: a VEN that registered with oadrHttpPullModel false gets its pending messages POSTed to its
-- oadrTransportAddress by the pusher (gateway.push) instead of handed out on its polls. This view is the one
-- definition of "whose messages are pushed" (a registration in force, push model), read by the pending queue
-- (no poll hand-outs for these VENs), the pusher, and presence (no silence sweep for them).
CREATE VIEW push_vens AS
    SELECT ven_id, transport_address, fingerprint
    FROM vens
    WHERE http_pull_model IS FALSE AND status IN ('registered', 'cancelling');
