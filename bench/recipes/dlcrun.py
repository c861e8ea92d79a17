"""One timed `dlc train`, for the cross-validation and seed scripts.

train() runs dlc train with the given arguments and --set overrides under
/usr/bin/time, so that each script reports the same wall time and peak RSS
of a whole process, and stops the script with the run's own error when it
fails. Standard library only.
"""
import re
import subprocess
import sys
import time


def train(dlc, args, sets, what):
    """Runs `dlc train ARGS --set S...`; returns (stdout, stderr, seconds, peak RSS in MiB).

    what names the run (e.g. "fold 2") in the message that ends the script
    when dlc fails.
    """
    cmd = ["/usr/bin/time", "-f", "RSS %M", dlc, "train"] + list(args)
    for s in sets:
        cmd += ["--set", s]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.time() - t0
    # /usr/bin/time's own lines are taken out of dlc's stderr.
    m = re.search(r"^RSS (\d+)$", p.stderr, re.M)
    err = re.sub(r"^(Command exited with non-zero status \d+|RSS \d+)\n?", "", p.stderr, flags=re.M)
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (what, err.strip()))
    return p.stdout, err, secs, (int(m.group(1)) / 1024 if m else 0)
