"""GBFS documents read liberally: pure functions over bytes and decoded JSON (no HTTP, no database).

Real feeds deviate from the specification in known ways (``../shared/DOMAIN.md``): integer
booleans in 1.x, integer ids, numbers as strings, ``last_updated`` as an integer or an RFC 3339
string whatever the declared version, timestamps with a space instead of ``T``, a rules object
where an array belongs, features without a geometry, a version that lies. The readers here accept
all of that, say what they had to forgive, and reject only what cannot be used (with a JSON path).
"""
