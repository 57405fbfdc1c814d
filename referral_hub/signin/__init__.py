"""Strong sign-in (issue 21): second factors (passkeys, TOTP, recovery codes), step-up before
the most sensitive reads, and the sign-ins (sessions and tokens) a person can see and end."""
