"""A memory cgroup per server process, for a scale run whose data outgrows memory
(bench/scale.sh with BENCH_SCALE_MEMORY_MB; see bench/README.md, "Data larger than memory").

The limit covers the process's own memory and the page cache its reads and writes fill, so a
server limited to 400 MB with 600 MB of files reads most blocks from the device, as it would on
a machine with less RAM than data. Needs root and a memory controller (cgroup v1 or v2).
"""

import os

V1 = "/sys/fs/cgroup/memory"
V2 = "/sys/fs/cgroup"


def _v2():
    return os.path.exists(os.path.join(V2, "cgroup.controllers")) and not os.path.isdir(V1)


def _path(name):
    return os.path.join(V2 if _v2() else V1, name)


def create(name, megabytes):
    """Creates (or resets) cgroup `name` limited to `megabytes`; returns its cgroup.procs path.
    Raises RuntimeError when this machine cannot."""
    path = _path(name)
    try:
        if _v2():
            with open(os.path.join(V2, "cgroup.subtree_control"), "w") as f:
                f.write("+memory")
        os.makedirs(path, exist_ok=True)
        limit = str(megabytes * 1024 * 1024)
        with open(os.path.join(path, "memory.max" if _v2() else "memory.limit_in_bytes"), "w") as f:
            f.write(limit)
    except OSError as e:
        raise RuntimeError(f"cannot make a memory cgroup at {path} (root and a memory controller "
                           f"are needed): {e}") from e
    return os.path.join(path, "cgroup.procs")


def peak_bytes(name):
    """The most memory (process and page cache) the cgroup has held, or None."""
    path = _path(name)
    for file in ("memory.peak", "memory.max_usage_in_bytes"):
        try:
            with open(os.path.join(path, file)) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError):
            continue
    return None


def remove(name):
    """Removes the cgroup once its processes have exited (best effort)."""
    try:
        os.rmdir(_path(name))
    except OSError:
        pass


def joiner(procs):
    """A preexec_fn for subprocess.Popen: the child joins the cgroup before it execs."""
    def join():
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    return join
