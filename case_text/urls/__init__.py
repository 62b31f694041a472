"""This app's addresses: public.py (joined to the results namespace in config/urls.py) and
office.py (assembled in config/manage_urls.py)."""
