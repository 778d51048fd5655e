-- XMPP: a VEN registered with oadrTransportName xmpp gets every message the VTN sends it over the XMPP server,
-- from the XMPP connector (gateway.xmpp), as a push VEN gets them by HTTP POST from the pusher: the same pending
-- queue, the same one-deliverer-per-VEN rule (no poll takes its messages, no poll silence makes it offline).
-- push_vens stays the one definition of "whose messages the VTN sends unasked", now naming the transport, so
-- that each deliverer takes its own VENs: simpleHttp to the pusher, xmpp to the XMPP connector. It keeps the
-- VEN's profile (0017): the pusher pushes 2.0a documents to a 2.0a VEN provisioned with a push address (always
-- simpleHttp; 2.0a has no XMPP), and XMPP VENs are 2.0b VENs that registered over XMPP.
CREATE OR REPLACE VIEW push_vens AS
    SELECT ven_id, transport_address, fingerprint, profile_name, transport_name
    FROM vens
    WHERE (http_pull_model IS FALSE OR transport_name = 'xmpp') AND registration_in_force(status);
