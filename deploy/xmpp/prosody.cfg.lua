-- Prosody as the XMPP server of an OpenADR 2.0b VTN (docs/xmpp.md). Every value comes from the environment,
-- so the same file serves `make run`/`make test` (devstack/xmpp_server.py) and the container (deploy/xmpp/).
--
--   OPENADR_XMPP_VTN          the VTN's bare JID: <fingerprint of its client certificate>@domain
--   OPENADR_XMPP_DOMAIN       the XMPP domain VENs and the VTN log in to (their JIDs end in @domain);
--                             default: the domain of OPENADR_XMPP_VTN
--   OPENADR_XMPP_INTERFACE    address to listen on (default: all)
--   OPENADR_XMPP_PORT         client port (STARTTLS; default 5222)
--   OPENADR_XMPP_CERT/_KEY    the server's certificate for the domain, and its key
--   OPENADR_XMPP_CLIENT_CA    the CA of client certificates (VENs' and the VTN's)
--   OPENADR_XMPP_DATA         a writable folder for the server's state (nothing in it needs keeping)
--   OPENADR_XMPP_PLUGINS      the folder of mod_auth_openadr_certificate.lua and mod_openadr_vtn.lua
--   OPENADR_XMPP_LOG          log file (default: standard output)
--   OPENADR_XMPP_MAX_STANZA   largest stanza accepted from a client, in bytes (default 262144)

local vtn = assert(ENV_OPENADR_XMPP_VTN, "set OPENADR_XMPP_VTN")
local domain = assert(ENV_OPENADR_XMPP_DOMAIN or vtn:match("^[^@/]+@([^@/]+)$"), "OPENADR_XMPP_VTN must be account@domain")

plugin_paths = { assert(ENV_OPENADR_XMPP_PLUGINS, "set OPENADR_XMPP_PLUGINS") }
local data = assert(ENV_OPENADR_XMPP_DATA, "set OPENADR_XMPP_DATA")
data_path = data
pidfile = data .. "/prosody.pid"
certificates = data -- certificates are named below, not looked up in a folder
run_as_root = ENV_OPENADR_XMPP_RUN_AS_ROOT == "1" -- development only: the container runs as the prosody user
log = { info = ENV_OPENADR_XMPP_LOG or "*console" }

-- Clients only: no federation with other servers, no HTTP, nothing stored beyond the process.
modules_enabled = { "saslauth", "tls", "disco", "ping", "presence", "message", "iq", "openadr_vtn" }
modules_disabled = { "s2s", "offline", "register", "c2s_bidi" }
s2s_ports = {}
c2s_ports = { tonumber(ENV_OPENADR_XMPP_PORT or "5222") }
c2s_interfaces = { ENV_OPENADR_XMPP_INTERFACE or "*" }
c2s_direct_tls_ports = {}
storage = "memory"
allow_registration = false
c2s_require_encryption = true
c2s_stanza_size_limit = tonumber(ENV_OPENADR_XMPP_MAX_STANZA or "262144")
-- TLS 1.2 with the OpenADR 2.0b suites, or TLS 1.3
ssl = {
	protocol = "tlsv1_2+";
	ciphers = "ECDHE-ECDSA-AES128-SHA256:AES128-SHA256";
}

VirtualHost(domain)
	authentication = "openadr_certificate"
	openadr_vtn = vtn
	ssl = {
		certificate = assert(ENV_OPENADR_XMPP_CERT, "set OPENADR_XMPP_CERT");
		key = assert(ENV_OPENADR_XMPP_KEY, "set OPENADR_XMPP_KEY");
		protocol = "tlsv1_2+";
		ciphers = "ECDHE-ECDSA-AES128-SHA256:AES128-SHA256";
	}
	c2s_ssl = {
		verify = { "peer", "client_once" };
		cafile = assert(ENV_OPENADR_XMPP_CLIENT_CA, "set OPENADR_XMPP_CLIENT_CA");
	}
