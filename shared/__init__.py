"""The VTN's own shared package: settings, the Kafka message contract, the OpenADR models and codec,
the bus, database access and migrations. Every service and the gateway import from here; nothing here
imports from them."""
