"""Events between services: the envelope, the catalogue of schemas, and the outbox.

``publish(type, data)`` inside a service's database transaction writes an
outbox row; the relay (see docs/events.md) sends committed rows to RabbitMQ.
"""

