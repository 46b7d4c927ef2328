"""Staff users, their role, and the access rules every URL is checked against."""
