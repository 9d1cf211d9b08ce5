"""template.yaml (parsed, sam validate, sam build), the local stack, the template resolver, cold starts."""
