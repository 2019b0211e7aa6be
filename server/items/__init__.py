"""The inspection item list (一单), versioned: every change keeps history."""
