"""The customer portal ``/portal``: "where is my order?" without an account.

A customer finds an order by its number plus the last four digits of the phone on it (or
opens a signed, expiring link). Attempts are rate-limited per IP and per order number; a
wrong number and a wrong phone get the same answer; and only what the portal view lists is
shown.
"""
