"""WTForms for the screens; the rules themselves live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    username = StringField(_l("Пользователь"), validators=[DataRequired()])
    password = PasswordField(_l("Пароль"), validators=[DataRequired()])


class BatchEditForm(FlaskForm):
    """Every field of a batch a supervisor may change; batch_update validates them."""

    task_description = TextAreaField(_l("Задание на смену"))
    work_center_id = SelectField(_l("Рабочий центр"), coerce=int)
    shift = StringField(_l("Смена"))
    team = StringField(_l("Бригада"))
    batch_number = StringField(_l("Номер партии"))
    batch_date = StringField(_l("Дата партии"))
    nomenclature = StringField(_l("Номенклатура"))
    ekn_code = StringField(_l("Код ЕКН"))
    shift_start = StringField(_l("Начало смены"))
    shift_end = StringField(_l("Окончание смены"))
    is_closed = BooleanField(_l("Партия закрыта"))

    def changes(self) -> dict:
        """The submitted values in the API's English keys."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}

    def show_errors(self, fields: dict[str, str] | None) -> None:
        """Put the service's messages under the fields they are about."""
        for name, message in (fields or {}).items():
            field = self._fields.get(name)
            (field.errors if field is not None else self.form_errors).append(message)
