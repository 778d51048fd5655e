-- OpenADR 2.0b over XMPP: who a client is, from its TLS client certificate alone (SASL EXTERNAL).
--
-- The rule: a client whose certificate chains to the configured CA (c2s_ssl.cafile) logs in as the account
-- named by the certificate's OpenADR fingerprint: the last 10 bytes of the SHA-256 of the DER certificate,
-- as 20 lower-case hex digits (the fingerprint VTN operators exchange with VENs, without its colons). So
-- the JID's localpart is the certificate's fingerprint, the server computes it, and a client can be no one
-- else: an authorization identity naming another account is refused, as is a client without a valid
-- certificate. There are no passwords, no account registration and no other mechanism.
--
-- Enable with `authentication = "openadr_certificate"` on the VirtualHost, beside
-- c2s_ssl = { verify = { "peer", "client_once" }, cafile = "<CA of client certificates>" }.

local new_sasl = require "util.sasl".new;
local jid_split = require "util.jid".split;
local nodeprep = require "util.encodings".stringprep.nodeprep;

local host = module.host;
local FINGERPRINT_HEX_DIGITS = 20;

local provider = {};

-- The OpenADR fingerprint of the session's verified client certificate, or nil and why not.
local function fingerprint_of(session)
	local conn = session.conn and session.conn:socket();
	if not conn or not conn.getpeercertificate then
		return nil, "not a TLS connection";
	end
	local cert = conn:getpeercertificate();
	if not cert then
		return nil, "no client certificate";
	end
	local chain_valid, errors = conn:getpeerverification();
	if not chain_valid then
		local reasons = {};
		for depth, list in pairs(errors or {}) do
			reasons[#reasons + 1] = ("depth %d: %s"):format(depth - 1, table.concat(list, ", "));
		end
		return nil, "certificate chain not valid (" .. table.concat(reasons, "; ") .. ")";
	end
	local digest = cert:digest("sha256"):lower():gsub(":", "");
	return digest:sub(-FINGERPRINT_HEX_DIGITS);
end

function provider.get_sasl_handler(session)
	local profile = {
		external = function(authzid)
			local username, why = fingerprint_of(session);
			if not username then
				module:log("info", "SASL EXTERNAL refused: %s", why);
				return nil, nil;
			end
			if authzid and authzid ~= "" and authzid ~= "=" then
				local node, domain = jid_split(authzid);
				if nodeprep(node or "") ~= username or domain ~= host then
					module:log("info", "SASL EXTERNAL refused: certificate %s asked to be %s", username, authzid);
					return nil, nil;
				end
			end
			return username, true;
		end;
	};
	return new_sasl(host, profile);
end

function provider.test_password()
	return nil, "passwords are not used: clients log in with their certificate";
end

function provider.get_password()
	return nil, "passwords are not used: clients log in with their certificate";
end

function provider.set_password()
	return nil, "passwords are not used: clients log in with their certificate";
end

function provider.user_exists(username)
	return type(username) == "string" and #username == FINGERPRINT_HEX_DIGITS and username:match("^%x+$") ~= nil;
end

function provider.create_user()
	return nil, "accounts are named by certificates, not created";
end

function provider.delete_user()
	return nil, "accounts are named by certificates, not deleted";
end

function provider.users()
	return next, {}, nil;
end

module:provides("auth", provider);
