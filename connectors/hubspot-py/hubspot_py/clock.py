"""Timestamps to RFC 3339 in UTC, as the Rust SDK's `time` module (the
`time` crate) reads and writes them.

Integer arithmetic instead of `datetime`: nanoseconds and the year 0 must
survive, and the formatting must match `time`'s (trailing zeros of the
fraction dropped, `Z`).
"""

import re

from .compat import debug_str, parse_i64, trim

# Any one ASCII character between date and time (the crate skips one byte).
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[\x00-\x7f]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))",
    re.DOTALL,
)
_NANOS_PER_MS = 1_000_000
_SECONDS_PER_DAY = 86_400
# The `time` crate's range without large dates: years -9999 to 9999.
_MIN_SECONDS = -377_705_116_800  # -9999-01-01T00:00:00Z
_MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z


def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant)."""
    y -= m <= 2
    era = y // 400  # floor division: no C-style adjustment
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _days_in_month(y, m):
    if m == 2:
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        return 29 if leap else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _format(seconds, nanos):
    days, secs = divmod(seconds, _SECONDS_PER_DAY)
    y, mo, d = _civil_from_days(days)
    if not 0 <= y <= 9999:
        raise ValueError("the year component cannot be formatted")
    h, rest = divmod(secs, 3600)
    mi, s = divmod(rest, 60)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % (y, mo, d, h, mi, s)
    if nanos:
        text += "." + ("%09d" % nanos).rstrip("0")
    return text + "Z"


def _parse_rfc3339(s):
    """(Unix seconds, nanoseconds) of an RFC 3339 text, or None."""
    m = _RFC3339.fullmatch(s)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7)
    nanos = int((frac + "0" * 9)[:9]) if frac else 0
    if m.group(8):
        offset = 0
    else:
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            return None
        offset = (oh * 3600 + om * 60) * (-1 if m.group(9) == "-" else 1)
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    leap = second == 60
    if leap:
        second, nanos = 59, 999_999_999
    seconds = _days_from_civil(year, month, day) * _SECONDS_PER_DAY
    seconds += hour * 3600 + minute * 60 + second - offset
    if leap:
        # Only as the last second of a month in UTC.
        ud, usecs = divmod(seconds, _SECONDS_PER_DAY)
        uy, um, uday = _civil_from_days(ud)
        if usecs != _SECONDS_PER_DAY - 1 or uday != _days_in_month(uy, um):
            return None
    return seconds, nanos


def _parse(raw):
    s = trim(raw)
    ms = parse_i64(s)
    if ms is not None:
        seconds, rest = divmod(ms, 1000)
        if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
            raise ValueError("%s is out of range" % debug_str(s))
        return seconds, rest * _NANOS_PER_MS
    parsed = _parse_rfc3339(s)
    if parsed is None or not _MIN_SECONDS <= parsed[0] <= _MAX_SECONDS:
        raise ValueError(
            "%s is not an RFC 3339 timestamp (e.g. 2024-05-01T10:00:00Z) or Unix milliseconds"
            % debug_str(s)
        )
    return parsed


def to_utc(raw):
    """RFC 3339 (any offset) or Unix milliseconds, as RFC 3339 in UTC.
    Raises ValueError with a reason an operator can act on."""
    seconds, nanos = _parse(raw)
    try:
        return _format(seconds, nanos)
    except ValueError as e:
        raise ValueError("%s: %s" % (debug_str(raw), e)) from None


def to_unix_ms(raw):
    """RFC 3339 or Unix milliseconds, as Unix milliseconds."""
    seconds, nanos = _parse(raw)
    return seconds * 1000 + nanos // _NANOS_PER_MS
