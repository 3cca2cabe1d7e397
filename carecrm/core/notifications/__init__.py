"""In-app notifications any app may send a user (the bell in the navigation bar), with an
optional email copy."""
