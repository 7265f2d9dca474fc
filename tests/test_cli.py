import json
import subprocess
import sys


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "mnist_core", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_trains_prints_each_epoch_and_writes_json(tmp_path):
    out = tmp_path / "run.json"
    proc = run_cli("train", "--hidden", "64", "--epochs", "2", "--train-samples", "3000",
                   "--validation", "split:0.2", "--dropout", "0.1", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    epoch_lines = [line for line in lines if line.split() and line.split()[0].isdigit()]
    assert len(epoch_lines) == 2
    assert len(epoch_lines[0].split()) == 6  # epoch, loss, accuracy, val_loss, val_accuracy, seconds
    assert lines[-1].startswith("test accuracy 0.")
    run = json.loads(out.read_text())
    assert run["status"] == "finished" and run["params"] == 50890
    assert run["config"]["hidden"] == "64" and run["config"]["dropout"] == "0.1"
    assert len(run["history"]) == 2 and run["history"][0]["seconds"] > 0
    val_losses = [r["val_loss"] for r in run["history"]]
    assert 0.5 < run["test_accuracy"] <= 1 and run["best_epoch"] == 1 + val_losses.index(min(val_losses))


def test_bad_flags_exit_2_with_the_validation_message():
    proc = run_cli("train", "--batch-size", "0", "--epochs", "500")
    assert proc.returncode == 2
    assert "epochs 500: must be between 1 and 100" in proc.stderr
    assert "batch size 0: must be between 1 and 60,000" in proc.stderr
    proc = run_cli("train", "--epochs", "five")
    assert proc.returncode == 2 and "epochs 'five': not a valid value" in proc.stderr
