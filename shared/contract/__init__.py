"""The message contract between the gateway, the services and backends, defined once.

Every Kafka record value is the JSON of an `Envelope`; its `payload` is one of the models in this
package, told apart by `kind`. Backends consume and produce exactly these documents.
"""
