"""Documents: the notice and inspection-record PDFs of a visit (WeasyPrint) and Excel exports."""
