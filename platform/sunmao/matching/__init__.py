"""``sunmao.matching``: money of one entity allocated to another by scored criteria (``match`` documents).

A receipt from the bank is matched to the orders it pays: by a reference in its memo, an equal
amount, the payer's name. Sure matches become allocation records at once; uncertain ones are
proposed for a person to confirm. Every allocation is an ordinary record written through the
record service, so the roll-ups over them (an order's paid amount, a receipt's matched amount)
and the gates that read those follow on every path. See ``docs/money.md``.
"""
