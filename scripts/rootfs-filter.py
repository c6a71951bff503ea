"""Copy a root filesystem tarball without some of its paths: the offline stand-ins' diet.

    python3 scripts/rootfs-filter.py SOURCE.tar DEST.tar PREFIX [PREFIX ...]

A PREFIX ending in "/" drops that folder; "*/NAME/" drops every folder called NAME. Python's
tarfile, not `tar --delete`: GNU tar mangles the pax headers mmdebstrap writes. Uses only the
standard library (it runs before the project's virtualenv exists).
"""

import sys
import tarfile


def main(source: str, dest: str, prefixes: list[str]) -> None:
    anywhere = tuple(f"/{p.removeprefix('*/')}" for p in prefixes if p.startswith("*/"))
    rooted = tuple(p for p in prefixes if not p.startswith("*/"))
    with tarfile.open(source) as tar_in, tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as out:
        for member in tar_in:
            name = member.name + ("/" if member.isdir() else "")
            if name.startswith(rooted) or any(part in name for part in anywhere):
                continue
            out.addfile(member, tar_in.extractfile(member) if member.isreg() else None)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
