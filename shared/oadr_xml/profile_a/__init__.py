"""The OpenADR 2.0a codec: a 2.0a VEN's EiEvent documents in, the VTN's answers out, in 2.0a.

2.0a documents have no oadrPayload wrapper, no signature and no schemaVersion: the message is the root, in
the 2.0a namespace. Their Energy Interoperation content is 2.0b's, so the mapping is shared with the 2.0b
codec (shared.oadr_xml.events) and the messages are the same normalized models the services handle.
Entry points: `codec` (decode, encode), `set_answers` (a VEN's event set ready to answer any oadrRequestEvent).
"""
