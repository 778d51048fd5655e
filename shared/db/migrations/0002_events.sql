-- Events: the event store, VEN group/resource/party memberships used for targeting, each VEN's
-- answers (oadrCreatedEvent), opt schedules (oadrCreateOpt), and the digest of the set last queued per VEN.

CREATE TABLE events (
    event_id            text PRIMARY KEY,
    modification_number integer NOT NULL CHECK (modification_number >= 0),
    cancelled           boolean NOT NULL DEFAULT false,
    event               jsonb NOT NULL,          -- the oadrEvent as last changed; eventStatus is worked out at delivery
    starts_at           timestamptz NOT NULL,    -- dtstart
    ends_at             timestamptz,             -- dtstart + duration; NULL: open-ended (duration PT0M)
    delivered_until     timestamptz,             -- after this the event ages out of VENs' sets; NULL: never
    next_change_at      timestamptz,             -- next instant its status or a currentValue changes; NULL: none
    target_ven_ids      text[] NOT NULL DEFAULT '{}',
    target_group_ids    text[] NOT NULL DEFAULT '{}',
    target_resource_ids text[] NOT NULL DEFAULT '{}',
    target_party_ids    text[] NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_next_change_at ON events (next_change_at) WHERE next_change_at IS NOT NULL;
CREATE INDEX events_target_ven_ids ON events USING gin (target_ven_ids);
CREATE INDEX events_target_group_ids ON events USING gin (target_group_ids);
CREATE INDEX events_target_resource_ids ON events USING gin (target_resource_ids);
CREATE INDEX events_target_party_ids ON events USING gin (target_party_ids);

-- What a VEN belongs to, for targeting by groupID, resourceID and partyID (set through the admin API).
CREATE TABLE ven_memberships (
    ven_id    text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('group', 'resource', 'party')),
    member_id text NOT NULL,
    PRIMARY KEY (ven_id, kind, member_id)
);
CREATE INDEX ven_memberships_member ON ven_memberships (kind, member_id);

-- The latest oadrCreatedEvent answer per (event, VEN).
CREATE TABLE event_responses (
    event_id            text NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    ven_id              text NOT NULL,
    modification_number integer NOT NULL,
    opt_type            text NOT NULL CHECK (opt_type IN ('optIn', 'optOut')),
    response_code       integer NOT NULL,
    request_id          text,
    received_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, ven_id)
);

-- oadrCreateOpt schedules and event opts; resending an optID replaces it, oadrCancelOpt marks it cancelled.
CREATE TABLE opts (
    opt_id              text PRIMARY KEY,
    ven_id              text NOT NULL,
    opt_type            text NOT NULL CHECK (opt_type IN ('optIn', 'optOut')),
    event_id            text,
    modification_number integer,
    opt                 jsonb NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    cancelled_at        timestamptz
);
CREATE INDEX opts_ven ON opts (ven_id);
CREATE INDEX opts_event ON opts (event_id) WHERE event_id IS NOT NULL;

-- The digest of the event set last queued for each VEN: a set is re-queued only when it changes.
CREATE TABLE ven_event_sets (
    ven_id     text PRIMARY KEY,
    digest     text NOT NULL,
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
