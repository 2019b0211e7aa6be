"""Follow-ups (后续处置) of approved results and transfers (移交 / 移送) of clues and cases."""
