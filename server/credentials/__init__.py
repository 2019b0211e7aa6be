"""The electronic law-enforcement credential: its photo, QR tokens and the public check page."""
