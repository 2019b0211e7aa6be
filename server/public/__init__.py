"""Public disclosure (一公开): pages and JSON anyone can read without signing in."""
