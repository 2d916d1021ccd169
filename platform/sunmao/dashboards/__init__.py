"""Dashboards: board documents → SQL aggregates under the reader's permissions → Plotly figures.

``model`` compiles ``dashboard`` documents (feature ``dashboards``); ``sql`` turns their queries
into GROUP BY statements; ``service`` runs them for a reader (permissions, board filters, cache,
drill-downs); ``figures`` builds the Plotly figures; ``web`` serves boards, the wall screen and
plotly.js; ``report`` is the scheduled late-records report; ``cli`` back-fills stage history.
"""
