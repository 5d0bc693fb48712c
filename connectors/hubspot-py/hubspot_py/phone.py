"""Phone numbers to E.164 with `phonenumbers` (libphonenumber's metadata),
following the Rust SDK's `phone` module (`sdk/src/phone.rs`).

Inside the component no module can be imported after the build (there is no
file system at run time), so this module loads the metadata of every region
when it is imported, which `componentize-py` does at build time.
"""

import re

import phonenumbers
from phonenumbers import PhoneNumberFormat
from phonenumbers.phonemetadata import PhoneMetadata

from .compat import debug_str, trim

# Every region's metadata now: a region first met at run time would
# otherwise be imported from a file, which the sandbox does not have.
PhoneMetadata.load_all()

# phonenumbers compiles its patterns through `re.compile`, whose cache holds
# 512 patterns. The warm regions need more than that, and an evicted
# pattern would be compiled again in every fresh instance.
PATTERN_CACHE_CAPACITY = 4096
if getattr(re, "_MAXCACHE", PATTERN_CACHE_CAPACITY) < PATTERN_CACHE_CAPACITY:
    re._MAXCACHE = PATTERN_CACHE_CAPACITY

#: Regions `warm` prepares by default (the Rust SDK's choice).
DEFAULT_WARM_REGIONS = ("US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "IE")


class PhoneError(ValueError):
    """Why a string is not a usable phone number."""


def _parse_valid(text, region):
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def to_e164(raw, default_region):
    """Parses `raw` as a person typed it, reading numbers without a country
    code as numbers of `default_region` (ISO 3166 alpha-2), and returns E.164.

    Input that does not start with `+` and is not a valid national number
    (e.g. `44-7911-123456`) is tried again as international.
    """
    trimmed = trim(raw)
    if not trimmed:
        raise PhoneError("is empty")
    if default_region not in phonenumbers.SUPPORTED_REGIONS:
        raise PhoneError("unknown default region %s" % debug_str(default_region))
    number = _parse_valid(trimmed, default_region)
    if number is None and not trimmed.startswith("+"):
        number = _parse_valid("+" + trimmed, None)
    if number is None:
        raise PhoneError("%s is not a valid phone number" % debug_str(trimmed))
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def typed_variants(e164):
    """Common ways people type `e164`: E.164 itself, international with
    spaces, national with and without spaces, bare digits, international
    with dashes. For CRMs whose search matches phones only as stored."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return [e164]
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    candidates = [
        e164,
        international,
        national,
        "".join(c for c in national if c in "0123456789"),
        e164.lstrip("+"),
        international.replace(" ", "-"),
    ]
    out = []
    for c in candidates:
        if c and c not in out:
            out.append(c)
    return out


def warm(regions=DEFAULT_WARM_REGIONS):
    """Compiles the patterns `to_e164` and `typed_variants` use for
    `regions`, by parsing, validating and formatting each region's example
    mobile and fixed-line numbers. For `prepare`: the host snapshots the
    memory afterwards, so no record pays for it. Unknown regions are skipped."""
    for region in regions:
        meta = PhoneMetadata.metadata_for_region(region, None)
        if meta is None:
            continue
        for desc in (meta.mobile, meta.fixed_line):
            example = desc.example_number if desc is not None else None
            if not example:
                continue
            try:
                e164 = to_e164(example, region)
            except PhoneError:
                continue
            to_e164(e164, region)
            typed_variants(e164)
            # The "+" retry and the international form of the same digits.
            _parse_valid("+%d%s" % (meta.country_code, example.lstrip("0")), region)
