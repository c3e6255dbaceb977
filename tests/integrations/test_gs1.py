"""Scanned Честный ЗНАК codes reduced to the identification code (no database needed)."""

import json
from pathlib import Path

import pytest

from mes_web.integrations.gs1 import InvalidMarkingCode, gtin_check_digit, identification_code

SAMPLES = Path(__file__).parent.parent / "samples" / "datamatrix_scans.jsonl"
GTIN = "04601234567893"
SERIAL = 'W1a*am*W"c9%x'
KI = f"01{GTIN}21{SERIAL}"
TAIL = "\x1d91F9EF\x1d926mv9Fh61whXkEVWiBD+/WiOW5GcXahyqDV5HKV6b6z3Y"


def _samples() -> list:
    lines = SAMPLES.read_text(encoding="utf-8").splitlines()
    rows = [(number, json.loads(line)) for number, line in enumerate(lines, start=1) if line.strip()]
    return [pytest.param(row["scan"], row["expected_ki"], id=f"{row['variant']}-{number}") for number, row in rows]


@pytest.mark.parametrize(("scan", "expected_ki"), _samples())
def test_every_sample_scan_gives_its_identification_code(scan, expected_ki):
    assert identification_code(scan) == expected_ki


def test_samples_cover_every_form_the_scanner_delivers():
    variants = {json.loads(line)["variant"] for line in SAMPLES.read_text(encoding="utf-8").splitlines()}
    assert variants == {"raw_with_gs", "symbology_prefix", "gs_lost_by_wedge", "gs_as_text", "ki_only"}


def test_wrong_gtin_check_digit_is_refused_naming_the_gtin_and_the_digit():
    with pytest.raises(InvalidMarkingCode) as refused:
        identification_code(f"010460123456789021{SERIAL}{TAIL}")
    assert str(refused.value) == "Неверная контрольная цифра GTIN 04601234567890: ожидалась 3"
    assert isinstance(refused.value, ValueError)  # callers that catch ValueError still refuse the scan


@pytest.mark.parametrize(
    ("scan", "expected"),
    [
        ("ABC-123", "ABC-123"),
        ("  K-1 \n", "K-1"),
        ("4601234567893", "4601234567893"),  # an EAN-13 from the consumer barcode
        (f"01{GTIN}17260131", f"01{GTIN}17260131"),  # GS1, but no serial: not a Честный ЗНАК code
        ("0104601234567890", "0104601234567890"),  # no AI 21, so no check-digit refusal either
    ],
)
def test_code_that_is_not_a_marking_code_is_used_as_it_is_trimmed(scan, expected):
    assert identification_code(scan) == expected


@pytest.mark.parametrize(
    ("serial", "rest"),
    [
        ("Ab1-2.3", "\x1d8005012345\x1d93AbCd"),  # tobacco block: 7 characters, then the maximum retail price
        ("Ab1-2.", "\x1d93AbCd\x1d3103000500"),  # 6 characters, then the short crypto code and the weight
    ],
)
def test_short_serial_ends_at_the_separator(serial, rest):
    assert identification_code(f"01{GTIN}21{serial}{rest}") == f"01{GTIN}21{serial}"


@pytest.mark.parametrize("scan", [f"{KI}\r\n", f"{KI}{TAIL}\r\n", f"\t{KI}{TAIL}\n", f" ]d2{KI}{TAIL}\r"])
def test_line_end_added_by_a_wedge_scanner_is_dropped(scan):
    assert identification_code(scan) == KI


@pytest.mark.parametrize(
    "scan",
    [
        f"]d2{KI}<GS>91F9EF<GS>926mv9Fh61whXkEVWiBD",
        f"]d2{KI}<gs>91F9EF<gs>926mv9Fh61whXkEVWiBD",
        f"]d2{KI}\u241d91F9EF\u241d926mv9Fh61whXkEVWiBD",
        f"]C1{KI}{TAIL}",
        f"]Q3{KI}{TAIL}",
        f"\x1d{KI}{TAIL}",  # FNC1 sent as the first character
        f"]d2\x1d{KI}{TAIL}",
    ],
)
def test_symbology_prefix_and_spelled_separator(scan):
    assert identification_code(scan) == KI


def test_lost_separator_before_a_short_crypto_code_still_cuts_at_13():
    # dairy and water codes end with 93 + 4 characters: 19 characters after AI 21 when the GS is lost
    assert identification_code(f"{KI}93AbCd") == KI


@pytest.mark.parametrize("serial", ["Ab1-2.3", "Ab1-2.3Cd4_5;6", "Ab1-2.3Cd4_5;6<7>8?9"])
def test_identification_code_alone_keeps_its_whole_serial(serial):
    assert identification_code(f"01{GTIN}21{serial}") == f"01{GTIN}21{serial}"


def test_serial_longer_than_20_before_the_separator_is_cut_at_13():
    assert identification_code(f"{KI}91F9EF926mv9Fh\x1d92rest") == KI


@pytest.mark.parametrize("scan", [f"01{GTIN}21", f"01{GTIN}21\x1d91F9EF", f"01{GTIN}21<GS>91F9EF"])
def test_code_without_a_serial_is_refused(scan):
    with pytest.raises(InvalidMarkingCode, match=f"GTIN {GTIN} нет серийного номера"):
        identification_code(scan)


def test_serial_typed_in_the_russian_layout_is_refused_with_a_hint():
    # a wedge scanner in the Russian layout types Ц for W, ф for a, ь for m, Э for "
    with pytest.raises(InvalidMarkingCode, match="«ЦфьЭ».*английской раскладке"):
        identification_code(f"01{GTIN}21Ц1ф*фь*ЦЭc9%x{TAIL}")


@pytest.mark.parametrize(
    ("first", "digit"),
    [("0460123456789", "3"), ("0469745311684", "4"), ("460123456789", "3"), ("400638133393", "1"), ("9638507", "4")],
)
def test_gtin_check_digit(first, digit):
    assert gtin_check_digit(first) == digit


@pytest.mark.parametrize("first", ["", "046012345678X", "０４６０１２３４５６７８９"])
def test_gtin_check_digit_needs_ascii_digits(first):
    with pytest.raises(ValueError, match="GTIN digits expected"):
        gtin_check_digit(first)
