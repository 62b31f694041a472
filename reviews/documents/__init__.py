"""Documents an expert takes away: personal, traceable copies of a case's files.

`watermark.py` stamps a PDF (pure: bytes in, bytes out); `services.py` makes an expert's
copy of the 申报书 or of a PDF attachment and records who took it, when, and its code.
"""
