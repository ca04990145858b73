"""Training under tf.distribute: two worker processes on loopback (TF_CONFIG, as on two
machines), and mirrored over two logical CPUs. Tiny data: each run is seconds of training;
models are loaded with the Keras engine, as converting them to ONNX is not what is tested."""
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

from drawpad import Recognizer
from tests.conftest import MNIST_500, ROOT
from tests.test_training import converter_output

DIGITS = ["-m", "train.digits", "--mnist", str(MNIST_500), "--strokes", "none", "--limit", "240",
          "--copies", "0", "--batch-size", "16"]


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def start_workers(args_of, folder, ports, run="run", chief=False):
    """One process per task, each with its TF_CONFIG; args_of(i) -> the i-th one's arguments.
    The tasks are workers 0, 1, ... or, with `chief`, a chief and workers 0, 1, ..."""
    addresses = [f"127.0.0.1:{p}" for p in ports]
    cluster = {"chief": addresses[:1], "worker": addresses[1:]} if chief else {"worker": addresses}
    tasks = [("chief", 0)] * chief + [("worker", i) for i in range(len(ports) - chief)]
    procs = []
    for i, (kind, index) in enumerate(tasks):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": kind, "index": index}})}
        log = open(folder / f"{run}{i}.log", "w")
        procs.append(subprocess.Popen([sys.executable, *args_of(i)], cwd=ROOT, env=env,
                                      stdout=log, stderr=subprocess.STDOUT))
        log.close()
    return procs


def wait_all(procs, timeout=300):
    end = time.monotonic() + timeout
    try:
        return [p.wait(max(1, end - time.monotonic())) for p in procs]
    finally:
        for p in procs:  # a worker left waiting for a dead peer would wait forever
            if p.poll() is None:
                p.kill()
                p.wait()


def log(folder, name) -> str:
    return (folder / f"{name}.log").read_text()


def epochs_in(history) -> list[int]:
    """The epochs a backup's history.csv records (written at each epoch's end, after its state)."""
    if not history.exists():
        return []
    with open(history, newline="") as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


def test_hangul_trains_with_a_chief_and_a_worker_and_only_the_chief_writes(tmp_path):
    data = converter_output(tmp_path / "data", ["가", "나", "다"])
    procs = start_workers(lambda i: ["-m", "train.hangul", "--data", str(data), "--epochs", "1",
                                     "--batch-size", "8", "--val-fraction", "0.25", "--strategy", "multiworker",
                                     "--out", str(tmp_path / f"w{i}.h5")], tmp_path, free_ports(2), chief=True)
    assert wait_all(procs) == [0, 0], log(tmp_path, "run0") + log(tmp_path, "run1")
    rec = Recognizer.from_file(tmp_path / "w0.h5", engine="keras")
    assert rec.labels == ["가", "나", "다"] and rec.card["heads"].startswith("syllable + initial")
    assert (tmp_path / "w0.curve.png").exists() and (tmp_path / "w0.confusions.txt").exists()
    # the other worker trained (it says so) but wrote nothing, and dropped its backup
    assert "worker0: trained; the chief writes the model" in log(tmp_path, "run1")
    assert not list(tmp_path.glob("w1*")) and not list(tmp_path.glob("*.backup*"))


def test_killed_worker_resumes_with_the_chief_from_the_last_epoch_backed_up(tmp_path):
    """The non-chief is killed in epoch 2 after both backed up epoch 1; re-running both workers
    trains epoch 2 only. A worker whose backup went missing is refused in one line, not a hang."""
    def args(i):
        return [*DIGITS, "--epochs", "2", "--strategy", "multiworker",
                "--out", str(tmp_path / f"w{i}.h5")]
    chief_backup, worker_backup = tmp_path / "w0.backup", tmp_path / "w1.backup.worker1"
    procs = start_workers(args, tmp_path, free_ports(2), "first")
    end = time.monotonic() + 240
    while not all(epochs_in(b / "history.csv") for b in (chief_backup, worker_backup)):
        assert time.monotonic() < end and all(p.poll() is None for p in procs), log(tmp_path, "first0")
        time.sleep(0.05)
    procs[1].send_signal(signal.SIGKILL)
    procs[1].wait()
    assert wait_all(procs[:1], timeout=120) == [2]  # the chief, waiting for it in epoch 2: one line
    err = log(tmp_path, "first0").strip().splitlines()[-1]
    assert err.startswith("error: lost another worker") and "run every worker's command again" in err, err
    assert epochs_in(chief_backup / "history.csv") == epochs_in(worker_backup / "history.csv") == [0]

    worker_backup.rename(tmp_path / "elsewhere")
    assert wait_all(start_workers(args, tmp_path, free_ports(2), "missing"), timeout=180) == [2, 2]
    for i in (0, 1):
        err = log(tmp_path, f"missing{i}").strip().splitlines()[-1]
        assert err.startswith("error: the workers' backups are at different epochs"), err
    (tmp_path / "elsewhere").rename(worker_backup)

    assert wait_all(start_workers(args, tmp_path, free_ports(2), "again")) == [0, 0], log(tmp_path, "again0")
    for i in (0, 1):
        assert "Epoch 2/2" in log(tmp_path, f"again{i}") and "Epoch 1/2" not in log(tmp_path, f"again{i}")
    rec = Recognizer.from_file(tmp_path / "w0.h5", engine="keras")
    assert rec.labels == list("0123456789") and rec.card["trained_on"].endswith("2 epochs")
    assert not (tmp_path / "w1.h5").exists() and not chief_backup.exists() and not worker_backup.exists()


def test_mirrored_trains_over_two_logical_cpus(tmp_path):
    out = tmp_path / "m.h5"
    # Two logical CPU devices must be set before TensorFlow starts: a process of its own.
    code = ("import tensorflow as tf\n"
            "cpu = tf.config.list_physical_devices('CPU')[0]\n"
            "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)\n"
            "import train.common\n"
            "pick = train.common.pick_strategy\n"
            "def spy(name):\n"
            "    strategy = pick(name)\n"
            "    print('replicas', strategy.num_replicas_in_sync, flush=True)\n"
            "    return strategy\n"
            "train.common.pick_strategy = spy\n"
            "from train.digits import main\n"
            f"raise SystemExit(main({[*DIGITS[2:], '--epochs', '1', '--strategy', 'mirrored', '--out', str(out)]!r}))\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "replicas 2" in run.stdout
    assert Recognizer.from_file(out, engine="keras").labels == list("0123456789")


def test_a_malformed_tf_config_is_one_line_before_training(tmp_path, monkeypatch, capsys):
    from train.common import cluster_size
    from train.digits import main
    cluster = {"chief": ["127.0.0.1:1"], "worker": ["127.0.0.1:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "chief", "index": 0}}))
    assert cluster_size() == 2  # so auto picks multiworker
    monkeypatch.setenv("TF_CONFIG", '{"cluster": ')
    assert main([*DIGITS[2:], "--epochs", "1", "--out", str(tmp_path / "m.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: TF_CONFIG is not {"), err
    assert not (tmp_path / "m.h5").exists()
