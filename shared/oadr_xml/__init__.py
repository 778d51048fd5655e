"""The OpenADR 2.0b XML codec: bytes from a VEN -> pydantic models, models -> bytes for a VEN.

Only the gateway imports this package (a test enforces it): services never see XML.
Entry points live in `shared.oadr_xml.codec`.
"""
