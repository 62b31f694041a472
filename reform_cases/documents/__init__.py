"""Printable documents of a case, rendered as PDF with WeasyPrint from templates/documents/.

`application_form.render_application_pdf` is the 申报书 (the locality's, the office's, an
expert's blind copy, the committee's bundle); `certificate` the award certificate.
"""
