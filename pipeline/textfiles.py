"""What the CLI tells a user about the encoding of a text file it is given (a feeds file, an `enrich` input).

wirebeam reads UTF-8. A file saved as UTF-16 or UTF-32 (Windows editors and PowerShell's `>` do that) is refused
up front with the command that converts it: read as UTF-8, each of its lines would only be a dead letter. A file
with lines in another 8-bit encoding (Latin-1, Windows-1252) is still read, the lines that are not UTF-8 becoming
dead letters (`not_utf8`, README: wirebeam enrich), and the user is warned once, before the job.
"""

from __future__ import annotations

import codecs
import logging
import shlex

LOGGER = logging.getLogger(__name__)

# UTF-32's little-endian mark starts with UTF-16's: the longer marks are tried first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
# How much of a file is looked at: enough for the first lines, cheap for a file of any size.
SNIFF_BYTES = 1 << 16


def wide_encoding(head: bytes) -> str | None:
    """"UTF-16" or "UTF-32" for the start of a file in one of them (a byte-order mark, or text of which every
    other byte is NUL, as ASCII in UTF-16 without a mark is); None otherwise."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:512]
    if len(sample) >= 8 and max(sample[0::2].count(0), sample[1::2].count(0)) >= len(sample) // 2 * 0.9:
        return "UTF-16"
    return None


def convert_hint(path: str, encoding: str) -> str:
    source = shlex.quote(path)
    target = shlex.quote(path + ".utf8")
    return f"iconv -f {encoding} -t UTF-8 {source} > {target}"


def refusal(flag: str, path: str, head: bytes) -> str | None:
    """Why a file given with `flag` cannot be read at all (UTF-16/32 text), with the fix; None when it can."""
    encoding = wide_encoding(head)
    if encoding is None:
        return None
    return (
        f"{flag} {path!r} is {encoding} text; wirebeam reads UTF-8: convert it first, "
        f"e.g. {convert_hint(path, encoding)}"
    )


def first_bad_line(head: bytes) -> tuple[int, int] | None:
    """(line number, the byte) of the first byte that is not UTF-8 in `head`; None when it all is (a character
    cut at the end of `head` does not count)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return None
        return head.count(b"\n", 0, exc.start) + 1, head[exc.start]
    return None


def check_input(flag: str, path: str) -> str | None:
    """The refusal for a local input file that cannot be read (see `refusal`); warns (logs) when its first lines
    hold one that is not UTF-8. None when the file can be read."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return None  # said by the job, with the path
    refused = refusal(flag, path, head)
    if refused is not None:
        return refused
    bad = first_bad_line(head)
    if bad is not None:
        line, byte = bad
        LOGGER.warning(
            "%s %r is not all UTF-8 (line %d has byte 0x%02x): such lines become dead letters (not_utf8); a file in "
            "Latin-1 or Windows-1252 reads whole once converted: %s",
            flag, path, line, byte, convert_hint(path, "WINDOWS-1252"),
        )  # fmt: skip
    return None
