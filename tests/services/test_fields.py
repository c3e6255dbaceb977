"""Field rules shared by the API, the screens and the imports (no database needed)."""

from datetime import date, datetime

import pytest

from mes_web import create_app
from mes_web.services import fields as f


@pytest.fixture(autouse=True)
def plant_context(tmp_path, monkeypatch):
    monkeypatch.setenv("MES_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}", "PLANT_TIMEZONE": "Asia/Yekaterinburg"}
    )
    with app.app_context():
        yield


@pytest.mark.parametrize("raw", [22222, "22222", " 22 222 ", "22\u00a0222", 22222.0])
def test_batch_numbers_as_1c_prints_them(raw):
    assert f.whole_number(raw) == 22222


@pytest.mark.parametrize("raw", [True, "12a", 0, -5, 2**31, 1.5, None, "", "1e3"])
def test_not_a_batch_number(raw):
    with pytest.raises(f.FieldError):
        f.whole_number(raw)


@pytest.mark.parametrize("raw", ["2024-01-30", "30.01.2024", "2024-01-30T00:00:00", date(2024, 1, 30)])
def test_dates(raw):
    assert f.calendar_date(raw) == date(2024, 1, 30)


@pytest.mark.parametrize("raw", ["2024-02-30", "30/01/2024", "2024-01-30T10:00:00", 20240130])
def test_not_a_date(raw):
    with pytest.raises(f.FieldError):
        f.calendar_date(raw)


def test_a_naive_time_is_plant_time_and_stored_in_utc():
    assert f.moment("2024-01-30T08:00:00") == datetime.fromisoformat("2024-01-30T03:00:00+00:00")
    assert f.moment("2024-01-30T08:00:00+03:00") == datetime.fromisoformat("2024-01-30T05:00:00+00:00")


@pytest.mark.parametrize("raw", ["вчера", "0001-01-01T00:00:00+14:00", 5, ""])
def test_not_a_moment(raw):
    with pytest.raises(f.FieldError):
        f.moment(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, True), ("Да", True), ("нет", False), ("false", False), ("0", False)]
)
def test_flags(raw, expected):
    assert f.flag(raw) is expected


def test_text_is_trimmed_and_bounded():
    assert f.text("  Цех №1 ") == "Цех №1"
    assert f.text(None) == ""
    for bad in ("x" * 256, "a\x00b", 5):
        with pytest.raises(f.FieldError):
            f.text(bad)
    with pytest.raises(f.FieldError):
        f.required_text("   ")
