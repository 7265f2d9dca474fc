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


def test_train_with_seeds_prints_the_mean_and_range_of_the_runs(tmp_path):
    out = tmp_path / "seeds.json"
    proc = run_cli("train", "--hidden", "32", "--epochs", "1", "--train-samples", "2000", "--seed", "4",
                   "--seeds", "2", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(out.read_text())["runs"]
    assert [r["config"]["seed"] for r in runs] == ["4", "5"]
    tests = sorted(100 * r["test_accuracy"] for r in runs)
    summary = proc.stdout.splitlines()[-1]
    mean = sum(tests) / 2
    assert summary.startswith(f"over 2 seeds: test accuracy {mean:.2f}% ({tests[0]:.2f}-{tests[1]:.2f})"), summary


def test_a_sweep_prints_one_row_per_value_computed_from_its_runs(tmp_path):
    out = tmp_path / "sweep.json"
    proc = run_cli("sweep", "--setting", "epochs", "--values", "2,1", "--hidden", "32", "--train-samples", "2000",
                   "--seeds", "2", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("  run ") == 2  # an epochs sweep trains each seed once, to 2 epochs
    result = json.loads(out.read_text())
    assert result["values"] == ["1", "2"] and result["seeds"] == 2
    for row, epochs in zip(result["rows"], (1, 2)):
        runs = row["runs"]
        assert len(runs) == 2 and all(len(r["history"]) == 2 for r in runs)
        best = [max(h["val_accuracy"] for h in r["history"][:epochs]) for r in runs]
        assert row["best_val_accuracy"]["low"] == min(best) and row["best_val_accuracy"]["high"] == max(best)
    lines = proc.stdout.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("epochs")))
    assert [line.split()[0] for line in lines[header + 1:header + 3]] == ["1", "2"]
    assert result["sentence"] and result["sentence"] in proc.stdout


def test_bad_sweeps_exit_2_with_the_validation_message():
    proc = run_cli("sweep", "--setting", "learning_rate", "--values", "0.001,50")
    assert proc.returncode == 2 and "learning rate 50: must be between 0.00001 and 10" in proc.stderr
    proc = run_cli("sweep", "--setting", "seed", "--values", "1,2")
    assert proc.returncode == 2 and "invalid choice: 'seed'" in proc.stderr
    proc = run_cli("train", "--seeds", "9")
    assert proc.returncode == 2 and "seeds 9: use 1 to 5" in proc.stderr


def test_train_reads_a_file_of_drawings_after_each_epoch(tmp_path):
    from mnist_core.input.drawings import export_set, written_set

    drawings = tmp_path / "drawings.json"
    drawings.write_bytes(export_set(written_set(40, seed=9)))
    proc = run_cli("train", "--hidden", "32", "--epochs", "2", "--train-samples", "2000", "--augment", "move",
                   "--drawings", str(drawings))
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.splitlines()[-1]
    assert line.startswith(f"accuracy on the 40 drawings in {drawings}, epoch by epoch: ")
    assert all(0 <= float(a) <= 1 for a in line.split(": ")[1].split()) and len(line.split(": ")[1].split()) == 2
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    proc = run_cli("train", "--hidden", "32", "--epochs", "1", "--train-samples", "1000",
                   "--drawings", str(tmp_path / "bad.json"))
    assert proc.returncode == 1 and "not a file of drawings saved by MNIST Lab" in proc.stderr
