"""nbgrader settings for the layerlab labs (a course folder copies this file beside source/).

The labs' sources are ``notebooks/{en,fr}/NN-slug.md``; ``scripts/learner-notebooks --course
DIR`` lays them out as an nbgrader course (``DIR/source/NN-lang/NN-slug.ipynb``) with this file.
``scripts/learner-notebooks`` also reads it to make the learners' copies, so both ways give
learners the same notebooks.
"""

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - traitlets injects get_config

# The stub that replaces an answer (### BEGIN SOLUTION … ### END SOLUTION). nbgrader's default
# is Python (`raise NotImplementedError()`), which would be written INTO the Dockerfile of a
# %%dockerfile cell or the .dockerignore of a %%writefile cell. A lone comment line is valid in
# all three (Python, Dockerfile, .dockerignore) and reads the same in English and French;
# the lab's prose and the comments kept above the answer say what to write there.
c.ClearSolutions.code_stub = {"python": "# …"}
c.ClearSolutions.text_stub = "…"

# Builds and pushes against the real engine take longer than nbgrader's 30 s per cell.
c.Execute.timeout = 600
