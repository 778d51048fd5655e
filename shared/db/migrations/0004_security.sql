-- Nonces of signed VEN messages (oadrReplayProtect), shared by every gateway instance. A nonce is kept
-- until expires_at (twice the allowed timestamp age); the gateway deletes expired rows periodically.
CREATE TABLE replay_nonces (
    signer     text NOT NULL,
    nonce      text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (signer, nonce)
);
CREATE INDEX replay_nonces_expires_at ON replay_nonces (expires_at);
