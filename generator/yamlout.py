"""A small, deterministic YAML emitter for the plain data compilers produce.

Why not `yaml.dump`: PyYAML's pure-Python emitter is the slowest stage of a large build, and its
choices (line folding at 80 columns, quoting) are not what people want to read in a diff. This
emitter writes block style only, PromQL under `expr` as `|-` literal blocks, keys in the order the
compiler gave them, plain scalars only where every YAML 1.1 and 1.2 reader agrees they are strings,
and double quotes everywhere else. The tests round-trip its output through PyYAML.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

import yaml

# Keys whose string values are PromQL and are written as literal blocks.
BLOCK_KEYS = frozenset({"expr"})

_PLAIN = re.compile(r"^[A-Za-z0-9_/.][A-Za-z0-9_ ./:+()=-]*$")
# YAML 1.1 booleans and nulls that a plain scalar must never spell, whatever the reader.
_RESERVED = re.compile(
    r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|"
    r"null|Null|NULL|~)$"
)
# Anything a YAML 1.1 or 1.2 reader (PyYAML, Go's yaml.v2/v3) might take for a number.
_NUMBERISH = re.compile(r"[-+]?(\.?[0-9][0-9_]*|0[xob][0-9a-fA-F_]+)(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?\..*")
# Characters YAML does not allow raw in a document (outside the printable set of YAML 1.2 §5.1).
# NEL, LS and PS are line breaks to YAML 1.1 readers (PyYAML), so they are escaped too.
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


@lru_cache(maxsize=65536)
def _is_plain(text: str) -> bool:
    if not text or not _PLAIN.fullmatch(text) or _RESERVED.fullmatch(text):
        return False
    if text.endswith((" ", ":")) or ": " in text or " #" in text:
        return False
    if _NUMBERISH.fullmatch(text) or text == "=":
        return False
    if text[0].isdigit() and ":" in text:
        return False  # `02:00`: a time to some readers, a base-60 number to YAML 1.1 ones
    if text[0].isdigit():
        # Dates, times and sexagesimal numbers (`2026-11-23`, `1:20`) start with a digit; ask the
        # reader itself about these rare cases. Everything else the rules above already decide.
        try:
            return bool(yaml.safe_load(text) == text)
        except yaml.YAMLError:
            return False
    return True


def _quoted(text: str) -> str:
    if '"' in text and "\n" not in text and "\r" not in text and not _NON_PRINTABLE.search(text):
        # Single quotes keep matchers and templates readable: 'team="payments"'.
        return "'" + text.replace("'", "''") + "'"
    out = json.dumps(text, ensure_ascii=False)
    return _NON_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            # YAML 1.1 floats need a dot in the mantissa (`1.0e-17`, not `1e-17`).
            text = f"{mantissa}.0e{exponent}"
        return text
    text = str(value)
    return text if _is_plain(text) else _quoted(text)


def _inline(value: Any) -> str:
    """A scalar, or an empty mapping or sequence, on one line."""
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


def _can_block(text: str) -> bool:
    return (
        bool(text)
        and not text[0].isspace()
        and "\r" not in text
        and not _NON_PRINTABLE.search(text)
        and not text.endswith((" ", "\n"))
        and all(line == line.rstrip() for line in text.split("\n"))
    )


def _emit(value: Any, indent: int, out: list[str], key: str | None = None) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            out[-1] += " {}"
            return
        for k, v in value.items():
            line = f"{pad}{scalar(k)}:"
            if isinstance(v, str) and k in BLOCK_KEYS and _can_block(v):
                out.append(line + " |-")
                out.extend(f"{pad}  {row}" if row else "" for row in v.split("\n"))
            elif isinstance(v, dict | list) and v:
                out.append(line)
                _emit(v, indent + 2, out, k)
            else:
                out.append(f"{line} {_inline(v)}")
        return
    if isinstance(value, list):
        if not value:
            out[-1] += " []"
            return
        for item in value:
            if isinstance(item, dict) and item:
                start = len(out)
                _emit(item, indent + 2, out)
                out[start] = f"{pad}- " + out[start][indent + 2 :]
            elif isinstance(item, list) and item:
                out.append(f"{pad}-")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{pad}- {_inline(item)}")
        return
    out.append(pad + scalar(value))


def dump(value: Any) -> str:
    """Serialize plain data (dicts, lists, str, int, float, bool, None) as block-style YAML."""
    out: list[str] = []
    if isinstance(value, dict | list) and value:
        _emit(value, 0, out)
    else:
        out.append(_inline(value))
    return "\n".join(out) + "\n"
