"""Fixed vocabularies of the catalogue: target groups, categories, residence rules.

Labels are gettext message ids (English); their bg and uk texts live in locales/.
`N_` only marks a string for extraction: the domain layer never translates by itself.
"""

from enum import StrEnum


def N_(message: str) -> str:
    return message


class TargetGroup(StrEnum):
    OLDER_PEOPLE = "older_people"
    PEOPLE_WITH_DISABILITIES = "people_with_disabilities"
    CHILDREN_WITH_DISABILITIES = "children_with_disabilities"
    CHILDREN_AT_RISK = "children_at_risk"
    FAMILIES_IN_DIFFICULTY = "families_in_difficulty"
    IDP = "idp"
    TEMPORARY_PROTECTION = "temporary_protection"
    VETERANS = "veterans"
    HOMELESS = "homeless"
    CARERS = "carers"
    LIVING_ALONE = "living_alone"
    PEOPLE_WITH_DEMENTIA = "people_with_dementia"
    MENTAL_HEALTH = "mental_health"
    VISUAL_IMPAIRMENT = "visual_impairment"
    LIMITED_MOBILITY = "limited_mobility"
    SERIOUSLY_ILL = "seriously_ill"
    YOUNG_PEOPLE_LEAVING_CARE = "young_people_leaving_care"
    LOW_INCOME = "low_income"
    VIOLENCE_SURVIVORS = "violence_survivors"


TARGET_GROUP_LABELS: dict[TargetGroup, str] = {
    TargetGroup.OLDER_PEOPLE: N_("Older people"),
    TargetGroup.PEOPLE_WITH_DISABILITIES: N_("People with disabilities"),
    TargetGroup.CHILDREN_WITH_DISABILITIES: N_("Children with disabilities"),
    TargetGroup.CHILDREN_AT_RISK: N_("Children at risk"),
    TargetGroup.FAMILIES_IN_DIFFICULTY: N_("Families in difficulty"),
    TargetGroup.IDP: N_("Internally displaced people"),
    TargetGroup.TEMPORARY_PROTECTION: N_("Refugees under temporary protection"),
    TargetGroup.VETERANS: N_("Veterans and their families"),
    TargetGroup.HOMELESS: N_("Homeless people"),
    TargetGroup.CARERS: N_("Carers"),
    TargetGroup.LIVING_ALONE: N_("People living alone"),
    TargetGroup.PEOPLE_WITH_DEMENTIA: N_("People with dementia"),
    TargetGroup.MENTAL_HEALTH: N_("People with mental health conditions"),
    TargetGroup.VISUAL_IMPAIRMENT: N_("People with visual impairments"),
    TargetGroup.LIMITED_MOBILITY: N_("People with limited mobility"),
    TargetGroup.SERIOUSLY_ILL: N_("Seriously ill people"),
    TargetGroup.YOUNG_PEOPLE_LEAVING_CARE: N_("Young people leaving care"),
    TargetGroup.LOW_INCOME: N_("People on low income"),
    TargetGroup.VIOLENCE_SURVIVORS: N_("Survivors of violence"),
}


class Category(StrEnum):
    HOME_CARE = "home_care"
    MEALS = "meals"
    DAY_CARE = "day_care"
    RESIDENTIAL_CARE = "residential_care"
    SUPPORTED_HOUSING = "supported_housing"
    CHILDREN_FAMILIES = "children_families"
    REHABILITATION = "rehabilitation"
    COUNSELLING = "counselling"
    MATERIAL_AID = "material_aid"
    EMPLOYMENT = "employment"
    CRISIS = "crisis"
    INFORMATION = "information"
    LEGAL_AID = "legal_aid"


CATEGORY_LABELS: dict[Category, str] = {
    Category.HOME_CARE: N_("Care at home"),
    Category.MEALS: N_("Meals and food"),
    Category.DAY_CARE: N_("Day centres"),
    Category.RESIDENTIAL_CARE: N_("Homes and residential care"),
    Category.SUPPORTED_HOUSING: N_("Protected and supported housing"),
    Category.CHILDREN_FAMILIES: N_("Children and families"),
    Category.REHABILITATION: N_("Rehabilitation and integration"),
    Category.COUNSELLING: N_("Counselling and psychological help"),
    Category.MATERIAL_AID: N_("Material and humanitarian aid"),
    Category.EMPLOYMENT: N_("Work and social enterprise"),
    Category.CRISIS: N_("Crisis help and shelter"),
    Category.INFORMATION: N_("Information and referral"),
    Category.LEGAL_AID: N_("Legal help"),
}


class Residence(StrEnum):
    """Where the person must live (or be registered) to be eligible."""

    NONE = "none"
    CURRENT_ADDRESS = "current_address"
    PERMANENT_ADDRESS = "permanent_address"
    PERMANENT_AND_CURRENT_ADDRESS = "permanent_and_current_address"
    DISPLACED_FROM_AREA = "displaced_from_area"


RESIDENCE_LABELS: dict[Residence, str] = {
    Residence.NONE: N_("No residence requirement"),
    Residence.CURRENT_ADDRESS: N_("Current address in the municipality"),
    Residence.PERMANENT_ADDRESS: N_("Permanent address in the municipality"),
    Residence.PERMANENT_AND_CURRENT_ADDRESS: N_("Permanent and current address in the municipality"),
    Residence.DISPLACED_FROM_AREA: N_("Residents of the community, including those displaced from it"),
}


class ServiceStatus(StrEnum):
    """HSDS 3 service.status."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DEFUNCT = "defunct"
    TEMPORARILY_CLOSED = "temporarily closed"


# Languages the catalogue must hold every user-facing text in; "en" is optional.
REQUIRED_LANGUAGES = ("bg", "uk")
OPTIONAL_LANGUAGES = ("en",)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
