"""Downloads of files kept in the local folder, through the signed links the folder storage hands out."""

from flask import send_file
from itsdangerous import BadSignature

from mes_web.errors import NotFound
from mes_web.integrations.storage import FolderStorage, storage
from mes_web.web import web

LINK_INVALID = "Ссылка недействительна или устарела; запросите файл заново."
FILE_GONE = "Файл удалён (файлы хранятся ограниченное время); сформируйте его заново."


@web.get("/files/<token>")
def file_download(token: str):
    # No sign-in: the signed token is the permission, as an S3 pre-signed URL is.
    files = storage()
    if not isinstance(files, FolderStorage):  # with MinIO, links point at MinIO and never here
        raise NotFound(LINK_INVALID)
    try:
        path, file_name = files.linked_file(token)
    except BadSignature:  # includes SignatureExpired
        raise NotFound(LINK_INVALID) from None
    try:
        return send_file(path, as_attachment=True, download_name=file_name)
    except (FileNotFoundError, IsADirectoryError):
        raise NotFound(FILE_GONE) from None
