"""Uploaded files go to disk only up to the largest size any form accepts.

Without nginx in front (embedded mode) nothing bounds a request body, and Django writes every
uploaded file to a temporary file before any form can judge it, for anonymous requests too (the
CSRF check reads the form). This handler keeps writing only up to the limit and counts the
rest, so the form still sees the file's real size and refuses it with its own message.
"""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


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
