"""Import shift tasks from a table file's rows with the rules of POST /batches, row by row."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mes_web.services.batches import batch_keys_existing, tasks_upsert
from mes_web.services.events import event_record
from mes_web.services.shift_tasks import TASK_FIELDS, shift_task_read
from mes_web.services.transaction import Actor, retried_once_on_conflict, transactional

PROGRESS_EVERY = 1_000
ENGLISH_NAME = {fld.russian: fld.name for fld in TASK_FIELDS}


@dataclass
class ImportResult:
    total_rows: int
    created: int
    updated: int
    skipped: int
    errors: list[dict] = field(default_factory=list)  # {"row": spreadsheet row number, "error": text}

    def to_json(self) -> dict:
        return {
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": self.errors,
        }


@dataclass
class _Checked:
    tasks: list[dict]
    errors: list[dict]
    total: int


def batches_import(
    *,
    rows: Iterable[tuple[int, dict]],
    dry_run: bool,
    actor: Actor,
    progress: Callable[[int, int], None] | None = None,
    file_name: str = "",
) -> ImportResult:
    """Create or overwrite a batch for each valid row, all in one transaction; report the rows skipped.

    The rows are read in full first, so a file that turns out unreadable half-way writes nothing.
    dry_run counts what a real run would do and writes nothing.
    """
    checked = _rows_check(list(rows), progress or (lambda current, total: None))
    if dry_run:
        existing = _keys_existing([(task["batch_number"], task["batch_date"]) for task in checked.tasks])
        created = len(checked.tasks) - len(existing)
    else:
        created = _import_write(checked, actor=actor, file_name=file_name)
    if progress:
        progress(checked.total, checked.total)
    skipped = len(checked.errors)
    return ImportResult(checked.total, created, checked.total - skipped - created, skipped, checked.errors)


def _rows_check(rows: list[tuple[int, dict]], progress: Callable[[int, int], None]) -> _Checked:
    """Read every row with the field rules; a row with problems, or repeating an earlier batch, is skipped."""
    tasks, errors, first_row = [], [], {}
    for done, (number, row) in enumerate(rows, start=1):
        task, problems = shift_task_read(row)
        if problems:
            text = "; ".join(f"{_column(key, row)}: {message}" for key, message in problems.items())
            errors.append({"row": number, "error": text})
        else:
            key = (task["batch_number"], task["batch_date"])
            if key in first_row:
                errors.append({"row": number, "error": _repeat(key, first_row[key], row)})
            else:
                first_row[key] = number
                tasks.append(task)
        if done % PROGRESS_EVERY == 0:
            progress(done, len(rows))
    return _Checked(tasks, errors, len(rows))


def _column(key: str, row: dict) -> str:
    """The column as the file names it: a missing value is reported under its Russian key."""
    english = ENGLISH_NAME.get(key)
    return english if key not in row and english in row else key


def _repeat(key: tuple, earlier: int, row: dict) -> str:
    columns = f"{_column('НомерПартии', row)} и {_column('ДатаПартии', row)}"
    number, day = key
    return f"{columns} повторяют строку {earlier} (партия {number} от {day:%d.%m.%Y}); строка пропущена"


@transactional
def _keys_existing(keys: list[tuple]) -> set[tuple]:
    return batch_keys_existing(keys)


@retried_once_on_conflict
@transactional
def _import_write(checked: _Checked, *, actor: Actor, file_name: str) -> int:
    results = tasks_upsert(checked.tasks, actor, bulk_events=True)
    created = sum(1 for _, is_new in results if is_new)
    counts = {
        "total_rows": checked.total,
        "created": created,
        "updated": len(results) - created,
        "skipped": len(checked.errors),
    }
    event_record(event_type="import_completed", actor=actor, batch_id=None, payload={"file_name": file_name} | counts)
    return created
