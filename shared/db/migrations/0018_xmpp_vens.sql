-- XMPP: a VEN registered with oadrTransportName xmpp gets every message the VTN sends it over the XMPP server,
-- from the XMPP connector (gateway.xmpp), as a push VEN gets them by HTTP POST from the pusher: the same pending
-- queue, the same one-deliverer-per-VEN rule (no poll takes its messages, no poll silence makes it offline).
-- push_vens stays the one definition of "whose messages the VTN sends unasked", now naming the transport, so
-- that each deliverer takes its own VENs: simpleHttp to the pusher, xmpp to the XMPP connector.
CREATE OR REPLACE VIEW push_vens AS
    SELECT ven_id, transport_address, fingerprint, transport_name
    FROM vens
    WHERE (http_pull_model IS FALSE OR transport_name = 'xmpp') AND registration_in_force(status);
