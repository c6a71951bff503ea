"""Repository-wide pytest plugins: wherever nbval runs the French labs, their outputs are
checked as French (tests/french_outputs.py); the run leaves the engine as it found it
(tests/engine_left_as_found.py)."""

pytest_plugins = ["tests.french_outputs", "tests.engine_left_as_found"]
