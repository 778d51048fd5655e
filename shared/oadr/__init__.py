"""OpenADR 2.0b messages as frozen pydantic models, free of XML.

These models are the payloads that travel on Kafka between the gateway and the services, so they are
part of the contract: change them compatibly or bump the topic version. XML lives in `shared.oadr_xml`,
which only the gateway imports.
"""
