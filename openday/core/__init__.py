"""The kernel every domain imports and none rewrites: transactions and locks (``db``), the rule
error and the JSON error object (``errors``), a regulator's region (``scope``), phone numbers
(``phone``), the form kit (``forms``) and translation (``i18n``).

Core imports only Flask, SQLAlchemy, WTForms, Babel and ``openday.extensions`` (plus
``openday.database`` for the engine's settings), never a domain: a domain builds on it, so an
import the other way round would tie every domain to that one.
"""
