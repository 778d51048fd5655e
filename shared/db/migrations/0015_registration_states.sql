-- The two states of a VEN's registration that every service asks about, each defined once here and called by
-- every query that needs it (docs/architecture.md, glossary: "registration in force", "staying registered").
--
-- In force: registered, or being cancelled. A VEN the VTN is cancelling is still registered until it is told:
-- its requests are answered, its polls take its queued messages (the oadrCancelPartyRegistration among them),
-- events still target it, and the admin API lists it as registered.
CREATE FUNCTION registration_in_force(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status IN ('registered', 'cancelling') $$;

-- Staying: in force and not being cancelled. Only such a VEN is offered the VTN's METADATA and has messages it
-- left unanswered or unconfirmed sent again: a VEN being cancelled takes the cancel on its next poll and would
-- not read them.
CREATE FUNCTION registration_staying(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status = 'registered' $$;

-- Whose messages are pushed (migration 0014) reads "in force" from the function above, like every other query.
CREATE OR REPLACE VIEW push_vens AS
    SELECT ven_id, transport_address, fingerprint
    FROM vens
    WHERE http_pull_model IS FALSE AND registration_in_force(status);
