"""The field app (PWA) served at /app/ from its Vite build."""
