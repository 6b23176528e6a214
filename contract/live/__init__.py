"""A running target against the contract: exposition parsing (`exposition`), the comparison (`compare`)."""
