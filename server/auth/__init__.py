"""Users, roles, departments and sign-in."""
