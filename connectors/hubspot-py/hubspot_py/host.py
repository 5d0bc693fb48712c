"""What `push` needs from the host. `wit_host.WitHost` (next to `app.py`)
implements it with the component's imports; the tests use a scripted fake.

A host has:

- `send(method, path, body)`: the HubSpot answer (a `model.Response`, any
  status) to `method` on `path` below the base URL, with `body` (a JSON
  value, or None) as JSON. Raises `model.Transport` when no answer came.
- `state_get(key)` -> str or None, `state_set(key, value)`,
  `state_remove(key)`: the `state` store; a failure raises
  `model.Classified`.
- `annotate(key, value)`: a note on the record's audit trail.
- `warn(message)`: a log line.
- `region`: the region for phone numbers typed without a country code.
"""

#: Default for config `base-url`.
DEFAULT_BASE_URL = "https://api.hubapi.com"
#: The secret holding the private-app or OAuth access token.
TOKEN_SECRET = "hubspot-token"
