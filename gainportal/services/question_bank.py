"""Good-practice starting questions (LRO guidance, Part 2 Section D), by heading and by
the kind of agency asked. Starting points only: the LRO makes each one specific."""
from __future__ import annotations

from gainportal.models.enums import AgencyKind, Heading

GENERAL = [
    (Heading.BEHAVIOUR, "Who are the individuals that your agency is called to deal with the most?"),
    (Heading.CRIME, "Are you noticing any new or emerging trends or incidents that you are being called to?"),
    (Heading.BUSINESS, "Which parts of your work continue to create the most demand?"),
    (Heading.CRIME, "What are the issues causing the highest number of complaints from the public?"),
    (Heading.BEHAVIOUR, "What do you think are the causes and drivers of the problems your agency has to deal with?"),
]

BY_AGENCY: dict[AgencyKind, list[tuple[Heading, str]]] = {
    AgencyKind.COUNCIL: [
        (Heading.BEHAVIOUR, "Have you had complaints about young people riding bikes dangerously in this area since {date}?"),
        (Heading.BUSINESS, "Which licensed premises at these addresses have had licence reviews or complaints?"),
        (Heading.LIFESTYLE, "Are there noise or nuisance complaints linked to these addresses?"),
    ],
    AgencyKind.HOUSING: [
        (Heading.BEHAVIOUR, "Have you seen an unusual increase in digital key activations at any of your properties?"),
        (Heading.TRAVEL, "Are visitors who are not tenants regularly staying at these addresses?"),
        (Heading.CRIME, "Have tenants at these addresses reported being pressured to let others use their home?"),
    ],
    AgencyKind.HEALTH: [
        (Heading.BEHAVIOUR, "Have you seen a sudden rise in stress-related illness or requests for anti-depressants in this area?"),
        (Heading.CRIME, "Have you treated injuries that suggest people are being threatened or assaulted over debts?"),
    ],
    AgencyKind.RSPCA: [
        (Heading.BUSINESS, "Have you received complaints about anyone breeding or selling puppies at these addresses?"),
        (Heading.LIFESTYLE, "Are you aware of dogs being kept for fighting or as status dogs in this area?"),
    ],
    AgencyKind.FIRE: [
        (Heading.CRIME, "Have there been deliberate fires, such as bins moved close to shop fronts, in this area since {date}?"),
        (Heading.BUSINESS, "Have fire safety inspections found overcrowded sleeping accommodation at these premises?"),
    ],
    AgencyKind.EDUCATION: [
        (Heading.BEHAVIOUR, "Have you seen an unusual number of pupils misbehaving to be excluded or moved to a pupil referral unit?"),
        (Heading.TRAVEL, "Are pupils regularly missing school and travelling out of the area?"),
    ],
    AgencyKind.HMRC: [
        (Heading.BUSINESS, "Are these businesses registered for VAT and PAYE, and do their returns match their apparent trade?"),
    ],
    AgencyKind.DVLA: [
        (Heading.VEHICLES, "Who is the registered keeper of these vehicles, and how often has the keeper changed in the last year?"),
    ],
    AgencyKind.DWP: [
        (Heading.LIFESTYLE, "Is the person named below claiming benefits at an address different from the one shown?"),
    ],
}


def questions_for(kind: AgencyKind | None) -> list[tuple[Heading, str]]:
    return BY_AGENCY.get(kind, []) + GENERAL if kind else GENERAL
