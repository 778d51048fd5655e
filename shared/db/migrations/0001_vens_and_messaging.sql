-- VENs, their presence, and the messaging tables every service uses (inbox, outbox, pending messages).

CREATE TABLE vens (
    ven_id            text PRIMARY KEY,
    ven_name          text,
    fingerprint       text,
    provisioned       boolean NOT NULL DEFAULT false,
    status            text NOT NULL CHECK (status IN ('provisioned', 'registered', 'cancelling', 'cancelled')),
    registration_id   text UNIQUE,
    profile_name      text,
    transport_name    text,
    transport_address text,
    report_only       boolean,
    xml_signature     boolean,
    http_pull_model   boolean,
    registered_at     timestamptz,
    cancelled_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX vens_ven_name_key ON vens (ven_name) WHERE ven_name IS NOT NULL;
CREATE UNIQUE INDEX vens_fingerprint_key ON vens (fingerprint) WHERE fingerprint IS NOT NULL;

CREATE TABLE ven_presence (
    ven_id     text PRIMARY KEY,
    last_seen  timestamptz NOT NULL,
    online     boolean NOT NULL,
    changed_at timestamptz NOT NULL
);
CREATE INDEX ven_presence_online_last_seen ON ven_presence (last_seen) WHERE online;

-- Messages waiting for a VEN's next oadrPoll, in order. Delivered rows are kept for a while for audit.
CREATE TABLE pending_messages (
    id           bigserial PRIMARY KEY,
    ven_id       text NOT NULL,
    message_type text NOT NULL,
    message      jsonb NOT NULL,
    dedup_key    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
);
CREATE INDEX pending_messages_undelivered ON pending_messages (ven_id, id) WHERE delivered_at IS NULL;
CREATE UNIQUE INDEX pending_messages_dedup ON pending_messages (ven_id, dedup_key) WHERE dedup_key IS NOT NULL;

-- Idempotency: one row per (consumer, message) handled, with the reply that was given.
CREATE TABLE inbox (
    consumer     text NOT NULL,
    message_id   text NOT NULL,
    reply        jsonb,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);

-- Transactional outbox: records written with the state change, published to Kafka by a relay.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    topic      text NOT NULL,
    record_key bytea,
    value      bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now()
);
