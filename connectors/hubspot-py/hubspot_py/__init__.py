"""HubSpot connector logic, free of the generated WIT bindings.

Everything here runs natively under CPython (the unit tests) and inside the
component (`app.py` converts between the bindings' types and these).
"""
