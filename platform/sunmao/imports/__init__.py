"""Excel and CSV import into any entity: read, map columns, preview with per-row errors, commit.

Every row is written through the record service (all rows in one transaction, or none), so an
imported order obeys the same rules as one typed into a form.
"""
