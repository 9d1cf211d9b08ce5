"""Fast tests of pure code: extraction, grounding, models, evaluation, the CLI, the LLM path against the fake model."""
