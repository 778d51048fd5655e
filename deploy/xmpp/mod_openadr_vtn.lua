-- OpenADR 2.0b over XMPP: the VTN's account on this server, as VENs see it.
--
-- openadr_vtn = "<account>@<this host>" names the VTN's account (its certificate's fingerprint, see
-- mod_auth_openadr_certificate). The VTN's connector instances log in to it, one resource each. Then:
--
-- * Discovery (XEP-0030): the host advertises http://openadr.org/openadr2, and the items of node
--   http://openadr.org/openadr2#services name the VTN's bare JID for EiEvent, EiReport, EiRegisterParty and
--   EiOpt (one address serves them all).
-- * A VEN sends its OpenADR payloads (IQ set/get with an oadrPayload) to that bare JID: they are handed to
--   one of the VTN's connected resources, the same one for a VEN while the set of resources stays the same;
--   with none connected the VEN gets a `wait` error (recipient-unavailable) and tries again later.
-- * The VTN's answers to a VEN's IQ come from the bare JID the VEN addressed (clients match an answer
--   to its request by the address asked); IQs the VTN sends come from the resource that sent them, so
--   the VEN's answer reaches the connector instance waiting for it.
-- * A VEN may talk to the VTN and the server only: stanzas to other VENs are refused (not-allowed), so a
--   VEN learns nothing of others.

local st = require "util.stanza";
local jid_bare = require "util.jid".bare;
local jid_prep = require "util.jid".prep;

local OADR_FEATURE = "http://openadr.org/openadr2";
local OADR_SERVICES_NODE = "http://openadr.org/openadr2#services";
local OADR_PAYLOAD_NS = "http://openadr.org/oadr-2.0b/2012/07";
local SERVICES = { "EiEvent", "EiReport", "EiRegisterParty", "EiOpt" };

local host = module.host;
local vtn = jid_prep(module:get_option_string("openadr_vtn"));
if not vtn or jid_bare(vtn) ~= vtn then
	error("openadr_vtn must name the VTN's bare JID, e.g. <fingerprint>@" .. host);
end
local vtn_account = vtn:match("^([^@]+)@");

local bare_sessions = prosody.bare_sessions;

module:add_feature(OADR_FEATURE);

module:hook("iq-get/host/http://jabber.org/protocol/disco#items:query", function(event)
	local stanza = event.stanza;
	local node = stanza.tags[1].attr.node;
	if node ~= OADR_SERVICES_NODE then
		return; -- the server's own items
	end
	local reply = st.reply(stanza):query("http://jabber.org/protocol/disco#items");
	reply.tags[1].attr.node = OADR_SERVICES_NODE;
	for _, service in ipairs(SERVICES) do
		reply:tag("item", { jid = vtn, node = "http://openadr.org/OpenADR2/" .. service }):up();
	end
	event.origin.send(reply);
	return true;
end, 10);

local function is_openadr_payload(stanza)
	local child = stanza.tags[1];
	return child ~= nil and child.name == "oadrPayload" and child.attr.xmlns == OADR_PAYLOAD_NS;
end

-- The VTN's connected resources, in a stable order.
local function vtn_resources()
	local account = bare_sessions[vtn];
	local resources = {};
	for resource, session in pairs(account and account.sessions or {}) do
		if session.full_jid then
			resources[#resources + 1] = resource;
		end
	end
	table.sort(resources);
	return resources, account;
end

-- One VEN's requests go to one resource while the resources stay the same (a cheap, stable hash).
local function resource_for(sender, resources)
	local sum = 0;
	for i = 1, #sender do
		sum = (sum * 31 + sender:byte(i)) % 2147483647;
	end
	return resources[(sum % #resources) + 1];
end

module:hook("iq/bare", function(event)
	local stanza, origin = event.stanza, event.origin;
	if stanza.attr.to ~= vtn then
		return;
	end
	local iq_type = stanza.attr.type;
	if iq_type ~= "get" and iq_type ~= "set" then
		return true; -- an answer to the bare JID: the VTN's IQs come from a resource, so nothing waits for it
	end
	if not is_openadr_payload(stanza) then
		return; -- the account's own services (disco and the like)
	end
	local resources, account = vtn_resources();
	if #resources == 0 then
		origin.send(st.error_reply(stanza, "wait", "recipient-unavailable", "the VTN is not connected; try again later"));
		return true;
	end
	local chosen = account.sessions[resource_for(jid_bare(stanza.attr.from) or "", resources)];
	chosen.send(stanza);
	return true;
end, 10);

local function from_vtn(origin)
	return origin.type == "c2s" and origin.username == vtn_account and origin.host == host;
end

local function refuse_ven_to_ven(event)
	local origin, stanza = event.origin, event.stanza;
	if from_vtn(origin) then
		local iq_type = stanza.attr.type;
		if stanza.name == "iq" and (iq_type == "result" or iq_type == "error") then
			stanza.attr.from = vtn; -- the answer comes from the address the VEN asked
		end
		return;
	end
	local to = stanza.attr.to;
	if to == nil or jid_bare(to) == vtn or to == host or jid_bare(to) == jid_bare(origin.full_jid or "") then
		return;
	end
	if stanza.name ~= "presence" and stanza.attr.type ~= "error" and stanza.attr.type ~= "result" then
		origin.send(st.error_reply(stanza, "cancel", "not-allowed", "VENs talk to the VTN only"));
	end
	return true;
end

for _, kind in ipairs({ "iq", "message", "presence" }) do
	module:hook("pre-" .. kind .. "/full", refuse_ven_to_ven, 10);
	module:hook("pre-" .. kind .. "/bare", refuse_ven_to_ven, 10);
end
