"""The OpenADR profiles the VTN serves, and what each one lets a VEN do, as data.

A 2.0b VEN registers itself (EiRegisterParty) and speaks every service. A 2.0a VEN speaks EiEvent only: the
2.0a profile has no registration service, so the operator provisions its venID (and certificate fingerprint,
and push URL if it takes pushes) and it is in force at once. A VEN's profile is part of its record in the VEN
directory (`vens.profile_name`); services read the traits below rather than compare profile names, so each
rule about a profile has this one home.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from shared.oadr import profile_a
from shared.oadr.event import Event


class OadrProfile(StrEnum):
    A = "2.0a"
    B = "2.0b"


def _every_event_fits(event: Event) -> list[str]:
    return []


@dataclass(frozen=True)
class ProfileTraits:
    registers_in_band: bool  # the VEN registers itself with oadrCreatePartyRegistration
    services: frozenset[str]  # the OpenADR services its VENs speak (EiEvent, EiReport, ...)
    event_problems: Callable[[Event], list[str]]  # why an event cannot reach its VENs (none: it can)

    def speaks(self, service: str) -> bool:
        return service in self.services


TRAITS: dict[OadrProfile, ProfileTraits] = {
    OadrProfile.A: ProfileTraits(
        registers_in_band=False, services=frozenset({"EiEvent"}), event_problems=profile_a.problems
    ),
    OadrProfile.B: ProfileTraits(
        registers_in_band=True,
        services=frozenset({"EiRegisterParty", "OadrPoll", "EiEvent", "EiReport", "EiOpt"}),
        event_problems=_every_event_fits,
    ),
}


def traits_of(profile: str) -> ProfileTraits:
    """The traits of a profile by name ("2.0a", "2.0b"); ValueError for any other."""
    return TRAITS[OadrProfile(profile)]
