"""Repository-wide pytest plugins: wherever nbval runs the French labs, their outputs are
checked as French (tests/french_outputs.py)."""

pytest_plugins = ["tests.french_outputs"]
