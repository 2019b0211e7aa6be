"""Cross-domain pages: dashboard, health check, language switch."""
