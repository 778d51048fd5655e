"""The OpenADR 2.0b security profile at the gateway: TLS and client certificates, the sender's identity and
its venID binding, XML signatures and replay protection, and their setup from settings."""
