"""The payment flows: what the core does around each backend call.

Each flow validates its input before anything moves, records its intent
before calling the processor (so a crash leaves something to settle, never
something lost), and writes the outcome and its ledger rows in one
transaction.
"""
