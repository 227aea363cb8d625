"""Geo: the bundled gazetteer of China's administrative divisions, city search and geocoding.

Rules live in ``service`` (lookups, ``resolve_city``, ``suggest_cities``, distances) and
``geocoder`` (addresses to points); the gazetteer CSV is built by ``build_gazetteer``.
"""
