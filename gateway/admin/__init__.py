"""The operators' admin API: one router per domain, each asking its service over Kafka."""
