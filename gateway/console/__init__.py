"""The operator console: web pages on the admin port to watch the fleet, dispatch events and read telemetry,
and the named operators (viewer, operator) that the console and the admin API share.

    credentials.py     pure: access tokens, their scrypt hashes, session ids and CSRF tokens
    roles.py           pure: roles, who may do what, the principal of a request
    operator_store.py  SQL: operators and sessions
    access.py          who is asking (bearer token or session cookie + CSRF), checked on every route
    audit.py           every change recorded with who made it: PostgreSQL row + oadr.operator.audit.v1
    fleet.py           pure: the fleet's figures from counts and Kafka facts
    fleet_feed.py      reads the facts from Kafka and re-counts periodically, for every viewer at once
    queries.py         the read queries pages and API share (same contract commands as the admin API)
    api.py             admin API routes the console needs: operators, audit, fleet, presence, memberships
    pages.py           the HTML pages (Jinja2 templates); every change goes through the admin API
    sign_in.py         sign-in and sign-out
    headers.py         Content-Security-Policy and the other security headers
    app.py             wires it into the admin app
"""
