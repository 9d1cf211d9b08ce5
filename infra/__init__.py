"""Tooling around template.yaml: AWS resources built from it (tests, local stack) and the Docker-free local stack."""
