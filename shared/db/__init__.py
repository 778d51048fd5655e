"""PostgreSQL access: the asyncpg pool, plain-SQL migrations, and the inbox/outbox/pending-message tables."""
