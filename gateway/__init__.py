"""The gateway: terminates HTTP(S) and XML for VENs, and serves the operators' admin API.

It parses, validates and normalizes each OpenADR document, publishes it to the owning service's topic,
waits for the reply and renders it. Most polls are answered from a cache of "nothing for you" answers
that services invalidate through the VEN-changes topic, so the common case never leaves the process.
The security profile (TLS, identity, signatures, replay protection) is in `security`, the admin API in `admin`.
"""
