"""The Kafka bus: a producer, request-reply for the gateway, a consumer loop for services, provisioning."""
