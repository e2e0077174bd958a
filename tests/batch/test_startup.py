"""What a run pays for before its workers start, and how its workers collect garbage."""

import gc
import json
import subprocess
import sys

import tagger
from conftest import SEEDS, SHIPPED_MODEL
from tagger.batch.workers import collected_per_chunk

# a quiet `tagger tag`, then the modules it imported that a run without a bar never needs
# (numpy.ma: what NumPy 2's plain np.unique imports),
# and the threads it started (none to watch for progress nobody sees)
PROBE = """
import json
import sys
import threading
from tagger.cli import main
started = []
start = threading.Thread.start
threading.Thread.start = lambda self: (started.append(self.name), start(self))
sys.argv = ["tagger", "tag", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in ("tqdm", "importlib.metadata", "numpy.ma") if m in sys.modules)))
import os
# native threads too (OpenBLAS starts its own with NumPy, which then spin idle)
tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["main"]
print(json.dumps(started + ["native"] * (len(tasks) - 1)))
import atexit, gc
atexit._run_exitfuncs()  # as the process ends: what is left is not collected again
print(json.dumps(gc.get_freeze_count() > 0))
"""


def test_a_quiet_run_imports_no_progress_bar_nor_package_metadata_nor_watches(tmp_path):
    out = tmp_path / "tags.jsonl"
    proc = subprocess.run([sys.executable, "-c", PROBE, str(SEEDS), "--out", str(out), "--quiet",
                           "--model", str(SHIPPED_MODEL), "--jobs", "1"],
                          capture_output=True, text=True, check=True)
    imported, threads, left = (json.loads(line) for line in proc.stdout.splitlines()[-3:])
    assert imported == [] and threads == [] and left
    assert len(out.read_text().splitlines()) == 3


def test_the_version_is_read_on_first_use():
    assert tagger.__version__[0].isdigit()
    assert "__version__" in dir(tagger)


def test_garbage_is_collected_per_chunk_and_the_collector_restored():
    assert gc.isenabled()
    with collected_per_chunk() as collect:
        assert not gc.isenabled()
        a, b = [], []
        a.append(b), b.append(a)  # a cycle only a collection frees
        del a, b
        assert collect() >= 2
    assert gc.isenabled() and gc.get_freeze_count() == 0
