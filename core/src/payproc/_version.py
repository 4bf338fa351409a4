__version__ = "0.1.0"

#: Version of the backend contract (the hookspecs and the types they exchange).
#: A backend declares the range it supports with its ``contract`` attribute,
#: e.g. ``">=1.0,<2"``; the core refuses to load a backend outside that range.
CONTRACT_VERSION = "1.1"
