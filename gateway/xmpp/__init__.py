"""The XMPP connector: OpenADR 2.0b over XMPP (the profile's second transport) beside simple HTTP.

    python -m gateway.xmpp

    XMPP server (Prosody, deploy/xmpp/) ── one session per instance: <VTN account>@<domain>/<instance>
      VEN's IQ set (oadrPayload) ──▶ ven_requests ──▶ gateway.exchange (decode, XSD, security, services) ──▶ IQ result
      VenChanged ──▶ the pusher's dispatcher and lanes (gateway.push), transport xmpp
                        └─ deliverer: IQ set to the VEN's full JID ──▶ its IQ result, checked as a push's answer
      presence ──▶ sightings, lanes woken, VENs gone reported unreachable

It lives in the gateway package because XML and VEN-facing transports live at the edge; it runs as a process
of its own (same image) because it holds long-lived sessions and scales with the number of XMPP VENs, not
with the HTTP request rate, and a deployment without XMPP does not run it. See docs/xmpp.md.
"""
