"""Upload limits that hold while the body is read, not after.

Django spools any upload to a temporary file before a form can look at its size, so a form's
own check comes after the disk and the worker have paid for the whole body. Without nginx in
front (embedded mode) nothing else bounds a request body, for anonymous requests too (the CSRF
check reads the form). Two handlers:

- ``CappedTemporaryFileUploadHandler`` (every request, ``FILE_UPLOAD_HANDLERS``) keeps writing
  only up to the largest size any form accepts and counts the rest, so the form still sees the
  file's real size and refuses it with its own message;
- ``SizeLimitUploadHandler``, installed first for one view, refuses a file on the declared
  Content-Length as it begins and again on the bytes actually received.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest

log = logging.getLogger(__name__)

# Up to this many times the limit the rest of the body is read and dropped, so the browser
# shows our message; beyond it the connection is cut rather than read (the browser then
# shows its own error page).
DRAIN_FACTOR = 5


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.declared = 0
        request.upload_too_large = False

    def _refuse(self, size: int) -> None:
        self.request.upload_too_large = True
        log.warning("upload refused: %d bytes is over the limit of %d", size, self.limit)
        raise StopUpload(connection_reset=size > DRAIN_FACTOR * self.limit)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.declared = content_length or 0

    def new_file(self, *args, **kwargs) -> None:
        # Refused here rather than in handle_raw_input, where Django does not catch
        # StopUpload: the small fields before the file (the CSRF token) are read by now.
        # The multipart envelope adds a few hundred bytes around the file itself.
        if self.declared > self.limit + 64 * 1024:
            self._refuse(self.declared)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self._refuse(start + len(raw_data))
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def largest_upload() -> int:
    """The most bytes of one file any form keeps: the image and document limits."""
    return max(settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE, settings.WAGTAILDOCS_MAX_UPLOAD_SIZE)


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cap = largest_upload()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        # One byte over the cap is kept, so the stored file is over every limit as well.
        room = self.cap + 1 - start
        if room > 0:
            self.file.write(raw_data[:room])
