"""Text rules of the Rust reference connector, so both answer alike.

Rust's `str::trim`, ASCII case mapping, `{:?}` quoting and `f64` display
differ in small ways from Python's `strip`, `lower`, `repr` and `str`; the
conformance kit compares both connectors, so these follow Rust.
"""

import json
import re
import unicodedata
from decimal import Decimal

# Unicode White_Space, which Rust's `trim` and `char::is_whitespace` use.
# (Python's `str.strip` also strips U+001C..U+001F.)
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_I64 = re.compile(r"[+-]?[0-9]+")
_U64 = re.compile(r"\+?[0-9]+")
_F64 = re.compile(
    r"[+-]?(?:inf|infinity|nan|[0-9]+\.?[0-9]*(?:e[+-]?[0-9]+)?|\.[0-9]+(?:e[+-]?[0-9]+)?)",
    re.IGNORECASE,
)
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
U64_MAX = 2**64 - 1


def trim(s):
    """Rust `str::trim`."""
    return s.strip(WHITESPACE)


def trim_start(s):
    """Rust `str::trim_start`."""
    return s.lstrip(WHITESPACE)


def is_whitespace(c):
    """Rust `char::is_whitespace`."""
    return c in WHITESPACE


def ascii_lower(s):
    """Rust `to_ascii_lowercase`: only A-Z change, so lengths and indexes stay."""
    return s.translate(_ASCII_LOWER)


def ascii_upper(s):
    """Rust `to_ascii_uppercase`."""
    return s.translate(_ASCII_UPPER)


def parse_i64(s):
    """Rust `s.parse::<i64>()`: ASCII digits with an optional sign, or None."""
    if not _I64.fullmatch(s):
        return None
    n = int(s)
    return n if I64_MIN <= n <= I64_MAX else None


def parse_u64(s):
    """Rust `s.parse::<u64>()`, or None."""
    if not _U64.fullmatch(s):
        return None
    n = int(s)
    return n if n <= U64_MAX else None


def parse_f64(s):
    """Rust `s.parse::<f64>()`, or None (no underscores, no spaces)."""
    if not _F64.fullmatch(s):
        return None
    return float(s)


def f64_display(n):
    """Rust `f64` Display: shortest round-trip digits, never an exponent."""
    if n != n:
        return "NaN"
    if n in (float("inf"), float("-inf")):
        return "inf" if n > 0 else "-inf"
    text = format(Decimal(repr(n)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _escape_char(c):
    if c == '"':
        return '\\"'
    if c == "\\":
        return "\\\\"
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    if c == "\t":
        return "\\t"
    if c == "\0":
        return "\\0"
    if c != " " and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"):
        return "\\u{%x}" % ord(c)
    return c


def debug_str(s):
    """Rust `{:?}` of a string: double quotes, Rust escapes."""
    return '"' + "".join(_escape_char(c) for c in s) + '"'


def debug_list(items):
    """Rust `{:?}` of a `Vec<String>`: `["a", "b"]`."""
    return "[" + ", ".join(debug_str(i) for i in items) + "]"


def truncate_bytes(s, max_bytes):
    """At most `max_bytes` UTF-8 bytes of `s`, cut at a character boundary."""
    data = s.encode("utf-8")
    if len(data) <= max_bytes:
        return s
    return data[:max_bytes].decode("utf-8", errors="ignore")


def to_json(value):
    """serde_json's compact text of `value`: keys sorted (its maps are
    BTreeMaps), no spaces, non-ASCII kept as UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _no_constants(name):
    raise ValueError("not JSON: %s" % name)


def parse_json(data):
    """serde_json `from_slice`/`from_str`: the JSON value, or None when the
    bytes are not UTF-8 JSON (NaN and Infinity are not JSON)."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        return json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return None


def lossy_text(data):
    """Rust `String::from_utf8_lossy`."""
    return bytes(data).decode("utf-8", errors="replace")
