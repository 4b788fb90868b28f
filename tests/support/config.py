"""Settings every app made by the tests shares."""

# Passwords hashed with argon2's cheapest parameters (a hash in microseconds instead of about
# 0.3 s of production's); tests/accounts/test_passwords.py checks the production ones.
PASSWORD_HASH_PROFILE = "CHEAPEST"
