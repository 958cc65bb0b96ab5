"""Users, scoped role grants, sessions, login, permissions and the guards that check them on every route."""
