"""This app's pages: public.py (the public search), office.py (the office's search),
resubmission.py (resemblances for the office)."""
