"""Shared test fakes and builders: the moto stack, the fake extractor and event helpers, the SAM translation helper."""
