"""Refusing an uploaded file that is too large before it is stored anywhere.

Django reads a multipart body through its upload handlers: files up to
FILE_UPLOAD_MAX_MEMORY_SIZE in memory, larger ones into a temporary file. A form that
checks `upload.size` afterwards has already received the whole file. `FileSizeLimit`,
put first in `request.upload_handlers` before anything reads the body, skips a file
that is too large instead: the other fields are parsed as usual (the form keeps what was
typed) and `exceeded` tells the view to show the form's message.

The CSRF check reads the body, so a view that adds the handler is `csrf_exempt` and
checks CSRF itself (`csrf_protect` on the part that reads the form), as Django's
documentation on changing upload handlers describes.
"""

from django.core.files.uploadhandler import FileUploadHandler, SkipFile

# What the fields around a file may add to the body (boundaries, a few thousand characters).
FORM_OVERHEAD_BYTES = 64 * 1024


class FileSizeLimit(FileUploadHandler):
    """Skip every file larger than `max_bytes`.

    When the request's Content-Length already exceeds the limit plus the form around it,
    the file cannot fit and is skipped before a byte of it is read. Otherwise its bytes
    are counted and it is skipped at the first chunk past the limit (what the handlers
    after this one had received of it is discarded).
    """

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.exceeded = False
        self._request_too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Returns nothing: Django parses the body as usual.
        self._request_too_large = content_length > self.max_bytes + FORM_OVERHEAD_BYTES

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self._request_too_large or (self.content_length or 0) > self.max_bytes:
            self.exceeded = True
            raise SkipFile

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) holds the file
