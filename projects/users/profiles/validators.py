"""Field rules of a profile, shared by the API's input shapes and the staff admin's forms."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from marketplace_libs import reference

DISPLAY_NAME_MAX = 50
BIO_MAX = 1000
MAX_LANGUAGES = 10
MAX_SKILLS = 30
SKILL_MAX = 50
HEADLINE_MIN, HEADLINE_MAX = 5, 120
DESCRIPTION_MIN, DESCRIPTION_MAX = 20, 1200


def validate_country(value: str) -> None:
    if value and not reference.is_country(value):
        raise ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (such as 'GB' or 'US').")


def validate_languages(value) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError("A list of ISO 639-1 language codes.")
    if len(value) > MAX_LANGUAGES:
        raise ValidationError(f"At most {MAX_LANGUAGES} languages.")
    unknown = [code for code in value if not reference.is_language(code)]
    if unknown:
        raise ValidationError(f"Not ISO 639-1 language codes (such as 'en' or 'fr'): {', '.join(unknown)}.")


def validate_skills(value) -> None:
    if not isinstance(value, list) or not all(isinstance(skill, str) for skill in value):
        raise ValidationError("A list of skills.")
    if len(value) > MAX_SKILLS:
        raise ValidationError(f"At most {MAX_SKILLS} skills.")
    if any(not skill.strip() for skill in value):
        raise ValidationError("A skill cannot be blank.")
    if any(len(skill) > SKILL_MAX for skill in value):
        raise ValidationError(f"A skill has at most {SKILL_MAX} characters.")


def validate_language(value: str) -> None:
    if not reference.is_language(value):
        raise ValidationError(f"'{value}' is not an ISO 639-1 language code (such as 'en' or 'fr').")


def validate_currency(value: str) -> None:
    if not reference.is_currency(value):
        raise ValidationError(f"'{value}' is not a supported currency: {', '.join(reference.SUPPORTED_CURRENCIES)}.")


def validate_timezone(value: str) -> None:
    if not reference.is_timezone(value):
        raise ValidationError(f"'{value}' is not an IANA time zone (such as 'Europe/Paris').")


def normalized_languages(codes: list[str]) -> list[str]:
    """Lower-cased, in the order given, each once."""
    return list(dict.fromkeys(code.strip().lower() for code in codes))


def normalized_skills(skills: list[str]) -> list[str]:
    """Trimmed, each once regardless of case (the first spelling wins)."""
    seen: dict[str, str] = {}
    for skill in skills:
        seen.setdefault(skill.strip().casefold(), skill.strip())
    return list(seen.values())
