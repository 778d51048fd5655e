-- A VEN's OpenADR profile, the one the VTN serves it in: 2.0b for a VEN that registers itself (the profile its
-- oadrCreatePartyRegistration names), 2.0a for one the operator provisions in force (2.0a has no registration
-- service). Rows provisioned before now and never registered are 2.0b VENs waiting to register.
UPDATE vens SET profile_name = '2.0b' WHERE profile_name IS NULL;
ALTER TABLE vens ALTER COLUMN profile_name SET DEFAULT '2.0b';
ALTER TABLE vens ALTER COLUMN profile_name SET NOT NULL;
ALTER TABLE vens ADD CONSTRAINT vens_profile_name_known CHECK (profile_name IN ('2.0a', '2.0b'));

-- The pusher reads each push VEN's profile: a 2.0a VEN is pushed 2.0a documents at its 2.0a endpoint.
CREATE OR REPLACE VIEW push_vens AS
    SELECT ven_id, transport_address, fingerprint, profile_name
    FROM vens
    WHERE http_pull_model IS FALSE AND registration_in_force(status);
