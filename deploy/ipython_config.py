# ruff: noqa: INP001, ERA001 - a config file, not a package; commented options are examples
# Instructor settings for layerlab, read by every learner's kernel.
#
# Where to put it: in the single-user image or server, as
#   /etc/ipython/ipython_config.py          (system-wide, every user)
# or ~/.ipython/profile_default/ipython_config.py (one user). On Zero to JupyterHub,
# deploy/z2jh/values.yaml mounts it with singleuser.extraFiles. The `layerlab` CLI reads
# the same file with `layerlab --config deploy/ipython_config.py cleanup ...`.
#
# Learners can change these in a notebook with %config Layerlab.x = ...; limits that must
# hold against a determined learner belong to the engine (the DinD sidecar's own
# cgroup limits, the pod's resources), not to the kit. See deploy/README.md.

c = get_config()  # noqa: F821 - injected by traitlets when the file is loaded

c.InteractiveShellApp.extensions = ["layerlab"]

# Builds: stopped on the engine after 10 minutes; build containers capped at 1 GB and
# one CPU (classic builder); build contexts above 200 MB refused.
c.Layerlab.build_timeout_s = 600
c.Layerlab.build_memory_mb = 1024
c.Layerlab.build_cpus = 1.0
c.Layerlab.context_max_mb = 200
c.Layerlab.context_warn_mb = 50

# Containers: at most 3 running per learner, published only on ports 10000-29999
# (and always on 127.0.0.1 unless the learner names another address). The labs publish
# on layerlab.lab_port(n): each learner gets a block of 5 ports of these ranges, chosen
# from their hub name, so the ranges must hold far more blocks than learners (here
# 4,000; "5000-5099" would hold 19, and learners would meet on the same ports).
c.Layerlab.max_containers = 3
c.Layerlab.allowed_ports = "10000-29999"

# A label on everything the kit creates for this course: `layerlab cleanup
# --all-learners` then only touches this course's images on a shared engine.
c.Layerlab.extra_labels = {"org.layerlab.course": "docker-101"}

# Push lab: a registry the class can reach (the default is a local one on loopback).
c.Layerlab.registry = "127.0.0.1:5000"

# Messages in French for the whole class ("auto" follows LANG).
# c.Layerlab.language = "fr"
