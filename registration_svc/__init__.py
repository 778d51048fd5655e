"""registration_svc: VEN registration (EiRegisterParty), oadrPoll delivery, and operator commands on VENs."""
