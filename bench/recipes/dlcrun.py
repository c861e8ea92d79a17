"""Timed whole dlc processes, for the cross-validation and seed scripts.

run() runs a command under /usr/bin/time, so that each script reports the
same wall time, CPU time and peak RSS of a whole process, and stops the
script with the command's own error when it fails; train() is run() of
`dlc train` with --set overrides. Standard library only.
"""
import subprocess
import sys
import tempfile
import time


def run(cmd, what):
    """Runs cmd; returns (stdout, stderr, wall s, CPU s (user + sys), peak RSS in MiB).

    what names the run (e.g. "fold 2") in the message that ends the script
    when the command fails.
    """
    # /usr/bin/time writes to a file of its own, not into the command's stderr.
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as t:
        t0 = time.time()
        p = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", t.name] + list(cmd), capture_output=True, text=True)
        secs = time.time() - t0
        if p.returncode != 0:
            sys.exit("%s failed: %s" % (what, p.stderr.strip()))
        user, sys_, rss = t.read().split()[-3:]
    return p.stdout, p.stderr, secs, float(user) + float(sys_), int(rss) / 1024


def train(dlc, args, sets, what):
    """Runs `dlc train ARGS --set S...`; returns (stdout, stderr, seconds, peak RSS in MiB)."""
    cmd = [dlc, "train"] + list(args)
    for s in sets:
        cmd += ["--set", s]
    out, err, secs, _, rss = run(cmd, what)
    return out, err, secs, rss
