"""oadrUpdateReport: each checked against the requests it answers, stored once, handed to the operator's
handlers; one at a time or many in one transaction."""
