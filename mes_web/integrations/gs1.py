"""Scanned Честный ЗНАК DataMatrix codes reduced to the identification code (КИ): 01 + GTIN-14 + 21 + serial."""

import re

GS = "\x1d"
SERIAL_MAX = 20
# Most Честный ЗНАК serials are 13 characters: the only place left to cut when the scanner lost the GS.
SERIAL_USUAL = 13
# GS1 symbology identifiers: DataMatrix, GS1-128, QR Code, DataBar; scanners may be set to send them.
_SYMBOLOGY_PREFIXES = ("]d2", "]C1", "]Q3", "]e0")
# Wedge setups and people who retype a code spell the separator as text or as its visible symbol.
_GS_SPELLINGS = re.compile(r"<GS>|\u241d", re.IGNORECASE)
_KI_HEAD = re.compile(r"01([0-9]{14})21")
# After a 13-character serial comes 91 (key), 92 (crypto code) or 93 (short crypto code): a shorter rest is a serial.
_AFTER_SERIAL_AIS = ("91", "92", "93")
# GS1 AI 21 allows only these 82 characters; anything else is a damaged scan, often a wedge in the Russian layout.
_SERIAL_CHARS = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]")


class InvalidMarkingCode(ValueError):
    """A scan shaped like a marking code that cannot be one; str() is the reason for the operator."""


def gtin_check_digit(first13: str) -> str:
    """The GS1 mod-10 check digit of the digits before it (13 for a GTIN-14; weights count from the right)."""
    if not (first13.isascii() and first13.isdigit()):
        raise ValueError(f"GTIN digits expected, got {first13!r}")
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(first13)))
    return str(-total % 10)


def identification_code(scan: str) -> str:
    """The КИ of a scanned Честный ЗНАК code; a code that is not one comes back trimmed."""
    trimmed = scan.strip()  # str.strip() also drops the CR/LF of wedge scanners and GS (U+001D) itself
    body = _GS_SPELLINGS.sub(GS, _without_symbology(trimmed)).lstrip(GS)  # a leading GS is FNC1, not a separator
    head = _KI_HEAD.match(body)
    if head is None:
        return trimmed
    gtin = head[1]
    _check_gtin(gtin)
    return head[0] + _serial(gtin, body[head.end() :])


def _without_symbology(code: str) -> str:
    """The code without the symbology identifier a scanner put in front."""
    return code[3:] if code.startswith(_SYMBOLOGY_PREFIXES) else code


def _check_gtin(gtin: str) -> None:
    """Refuse a GTIN-14 whose last digit is not its check digit."""
    expected = gtin_check_digit(gtin[:13])
    if gtin[13] != expected:
        raise InvalidMarkingCode(f"Неверная контрольная цифра GTIN {gtin}: ожидалась {expected}")


def _serial(gtin: str, rest: str) -> str:
    """The serial after AI 21: up to the next GS, or by length when the scanner lost the separator."""
    field, separated, _ = rest.partition(GS)
    lost = len(field) > SERIAL_MAX or (not separated and field[SERIAL_USUAL : SERIAL_USUAL + 2] in _AFTER_SERIAL_AIS)
    serial = field[:SERIAL_USUAL] if lost else field
    if not serial:
        raise InvalidMarkingCode(f"В коде маркировки товара с GTIN {gtin} нет серийного номера")
    bad = "".join(dict.fromkeys(c for c in serial if not _SERIAL_CHARS.fullmatch(c)))
    if bad:
        raise InvalidMarkingCode(
            f"Серийный номер в коде маркировки товара с GTIN {gtin} содержит недопустимые символы «{bad}»: "
            "проверьте, что сканер работает в английской раскладке"
        )
    return serial
