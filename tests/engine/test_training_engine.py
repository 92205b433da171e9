"""Training engine (no Qt): the seed's polynomial fit reproduced exactly, the CLI, bad input."""

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from nla_explorer.cli.train import add_train_parser, run_train
from nla_explorer.engine import ExpressionError, evaluate, parse_code
from nla_explorer.engine.training.least_squares import (
    LeastSquaresConfig, LeastSquaresProgress, LeastSquaresResult, LeastSquaresStart,
    least_squares_sgd,
)
from nla_explorer.engine.training.targets import PRESETS, parse_target
from nla_explorer.engine.training.loop import (
    TrainProgress, TrainResult, TrainStart, build, run_to_end, train,
)
from nla_explorer.engine.training.step_code import least_squares_code, training_step_code
from nla_explorer.engine.training.config import (
    ACTIVATIONS, OPTIMIZERS, ConfigError, TrainConfig,
)

ROOT = Path(__file__).resolve().parents[2]
ACTIVATION_FNS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def seed_notebook(m=20, p=10, lr=0.01, epochs=100, seed=0, activation="sigmoid",
                  optimizer="adam"):
    """The seed's cells in plain torch: its Net, MSELoss and loop; the loss of every epoch."""
    torch.manual_seed(seed)
    n = m
    act = ACTIVATION_FNS[activation]

    class Net(torch.nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.w = torch.nn.Linear(m, p, bias=False)
            self.a_b = torch.nn.Linear(p, n, bias=True)

        def forward(self, r):
            r = act(self.w(r))
            r = self.a_b(r)
            return r

    net = Net()
    x_vals = torch.linspace(-1, 1, m)
    y_vals = x_vals ** 3 - x_vals
    criterion = torch.nn.MSELoss()
    if optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9 if optimizer == "momentum"
                              else 0.0)
    losses = []
    for epoch in range(epochs):
        opt.zero_grad()
        y_pred = net(x_vals)
        loss = criterion(y_pred, y_vals)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def cli(*argv):
    parser = argparse.ArgumentParser(prog="nla-explorer")
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    return run_train(parser.parse_args(["train", *argv]))


# -- the seed, reproduced ------------------------------------------------------------------------
def test_default_run_is_the_seed_and_ends_below_its_final_loss():
    seed_losses = seed_notebook()
    result = run_to_end(TrainConfig())
    assert result.diverged is None
    assert result.losses.tolist() == seed_losses  # the same numbers, epoch by epoch
    # the notebook shows the loss every 10 epochs; its last figure is epoch 90's
    seed_final = seed_losses[90]
    assert result.final_loss < seed_final
    assert result.fit_error < seed_final
    assert result.fit_error < 1e-4


def test_items_are_plain_frozen_data():
    items = list(train(TrainConfig(epochs=5)))
    assert isinstance(items[0], TrainStart) and isinstance(items[-1], TrainResult)
    progress = items[1:-1]
    assert [p.epoch for p in progress] == [0, 1, 2, 3, 4]
    for p in progress:
        assert isinstance(p, TrainProgress) and isinstance(p.loss, float)
        assert isinstance(p.prediction, np.ndarray) and p.prediction.shape == (20,)
        assert p.grid_prediction is None  # the course net has no x grid: m outputs at m points
        assert p.grad_norm > 0 and p.weight_norm > 0
    with pytest.raises(AttributeError):
        progress[0].loss = 1.0
    with pytest.raises(AttributeError):
        TrainConfig().lr = 1.0
    # predictions are copies: later epochs do not change earlier items
    assert not np.array_equal(progress[0].prediction, progress[-1].prediction)


def test_cli_json_matches_plain_torch(capsys):
    assert cli("--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["loss"] == seed_notebook()
    assert data["config"] == TrainConfig().to_dict()
    assert data["diverged"] is None and data["final_loss"] == data["loss"][-1]
    assert data["fit_error"] < data["loss"][90]


def test_cli_settings_match_plain_torch(capsys):
    assert cli("--hidden", "16", "--lr", "0.02", "--points", "30", "--activation", "tanh",
               "--optimizer", "momentum", "--seed", "5", "--epochs", "40", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    expected = seed_notebook(m=30, p=16, lr=0.02, epochs=40, seed=5, activation="tanh",
                             optimizer="momentum")
    np.testing.assert_allclose(data["loss"], expected, rtol=1e-6, atol=0)


def test_cli_text_and_bad_values(capsys):
    assert cli("--epochs", "20") == 0
    out = capsys.readouterr().out
    assert "Epoch 0: Loss = 2.2592e-01" in out and "Epoch 19:" in out and "fit error" in out
    assert cli("--lr", "100") == 2
    err = capsys.readouterr().err
    assert "lr" in err and "between 1e-05 and 10" in err
    assert cli("--target", "__import__('os')") == 2
    assert "__import__" in capsys.readouterr().err
    assert cli("--optimizer", "rmsprop") == 2
    assert "optimizer must be one of sgd, momentum, adam" in capsys.readouterr().err


def test_cli_train_imports_no_qt():
    code = ("import sys, json, io, contextlib\n"
            "from nla_explorer.cli.train import add_train_parser, run_train\n"
            "import argparse\n"
            "p = argparse.ArgumentParser(); add_train_parser(p.add_subparsers(dest='c'))\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            "    run_train(p.parse_args(['train', '--epochs', '3', '--json']))\n"
            "assert json.loads(buf.getvalue())['loss']\n"
            "print(sorted(m for m in sys.modules if 'PySide' in m or 'pyqtgraph' in m))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# -- the per-point network, activations, optimisers ----------------------------------------------
def test_per_point_network_learns_and_generalises():
    config = TrainConfig(network="per_point", activation="tanh", hidden=16, lr=0.02, epochs=800)
    items = list(train(config))
    start, result = items[0], items[-1]
    assert start.grid_prediction.shape == start.x_grid.shape
    assert result.diverged is None
    first = result.losses[0]
    assert result.fit_error < first / 100
    assert result.grid_error < 1e-3  # between the points too, not only at them
    assert items[-2].grid_prediction.shape == start.x_grid.shape


@pytest.mark.parametrize("network", ["course", "per_point"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_activation_and_optimizer_trains(network, activation, optimizer):
    result = run_to_end(TrainConfig(network=network, activation=activation, optimizer=optimizer,
                                    lr=0.05, epochs=30))
    assert result.diverged is None and len(result.losses) == 30
    assert math.isfinite(result.fit_error)
    assert result.fit_error < result.losses[0]


def test_extreme_settings_work():
    tiny = run_to_end(TrainConfig(hidden=1, points=2, epochs=50))
    assert tiny.diverged is None and len(tiny.losses) == 50
    wide = run_to_end(TrainConfig(network="per_point", hidden=512, points=1000, epochs=3))
    assert len(wide.losses) == 3 and wide.prediction.shape == (1000,)


def test_noise_is_seeded_and_keeps_the_weights():
    a, b = (list(train(TrainConfig(noise=0.1, epochs=1)))[0] for _ in range(2))
    np.testing.assert_array_equal(a.y_points, b.y_points)
    clean = list(train(TrainConfig(epochs=1)))[0]
    assert not np.array_equal(a.y_points, clean.y_points)
    np.testing.assert_array_equal(a.prediction, clean.prediction)  # same initial weights


def test_divergence_stops_with_the_reason():
    items = list(train(TrainConfig(network="per_point", optimizer="sgd", lr=10, epochs=500)))
    result = items[-1]
    assert isinstance(result, TrainResult) and result.diverged
    assert "learning rate 10 is too large for SGD" in result.diverged
    assert f"at epoch {result.diverged_epoch}" in result.diverged
    assert "inf" in result.diverged or "nan" in result.diverged
    progress = [i for i in items if isinstance(i, TrainProgress)]
    assert len(progress) == result.diverged_epoch < 500  # stopped at the first bad loss
    assert all(math.isfinite(p.loss) for p in progress)
    assert result.fit_error is None
    assert len(result.losses) == result.diverged_epoch


# -- bad configs and targets ---------------------------------------------------------------------
@pytest.mark.parametrize("field, value, words", [
    ("hidden", 0, "between 1 and 512"), ("hidden", 513, "between 1 and 512"),
    ("hidden", 2.5, "whole number"), ("lr", 0.0, "between 1e-05 and 10"),
    ("lr", 11.0, "between 1e-05 and 10"), ("lr", float("nan"), "lr"),
    ("epochs", 10_001, "between 1 and 10,000"), ("points", 1, "between 2 and 1,000"),
    ("points", 1001, "between 2 and 1,000"), ("noise", -0.1, "between 0 and 10"),
    ("seed", -1, "between 0 and 2,147,483,647"), ("activation", "softmax", "sigmoid, tanh, relu"),
    ("optimizer", "rmsprop", "sgd, momentum, adam"), ("network", "big", "course, per_point"),
    ("lr", "0.1", "must be a number"), ("epochs", True, "whole number"),
])
def test_bad_config_names_the_field(field, value, words):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**{field: value})
    assert info.value.culprit == field
    assert field in str(info.value) and words in str(info.value)


@pytest.mark.parametrize("text, culprit", [
    ("__import__('os')", "__import__"), ("x.__class__", ".__class__"), ("open('f')", "open"),
    ("lambda x: x", "lambda"), ("exec('x')", "exec"), ("().__class__", ".__class__"),
    ("x if x else 1", "if/else"), ("[x]", "a list"), ("x[0]", "indexing"), ("'x'", "'x'"),
    ("True * x", "True"), ("x ^ 2", "x**3"), ("sin(x, 2)", "one argument"),
    ("sin(x=1)", "one argument"), ("y + 1", "'y'"), ("import os", "not a formula"),
    ("", "empty"), ("2 + 3", "does not use x"), ("x < 1", "comparison"),
    ("getattr(x, 'y')", "getattr"), ("x.real", ".real"), ("(x := 2)", ":="),
])
def test_unsafe_or_bad_targets_are_refused_by_name(text, culprit):
    with pytest.raises(ExpressionError) as info:
        parse_target(text)
    assert culprit in str(info.value)


def test_refused_targets_run_nothing(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ExpressionError):
        parse_target(f"__import__('pathlib').Path({str(marker)!r}).touch() or x")
    with pytest.raises(ConfigError):
        TrainConfig(target=f"open({str(marker)!r}, 'w') and x")
    assert not marker.exists()


def test_valid_targets_evaluate():
    x = torch.linspace(-1, 1, 20)
    assert torch.equal(parse_target("x**3 - x").values(x), x ** 3 - x)  # bitwise: the seed's
    checks = {
        "sin(pi*x)": torch.sin(math.pi * x), "abs(x)": x.abs(), "step(x)": (x > 0).float(),
        "-2*x + e": -2 * x + math.e, "sigmoid(x) + relu(x) * tanh(x)":
            torch.sigmoid(x) + torch.relu(x) * torch.tanh(x),
        "sqrt(x*x + 1)": torch.sqrt(x * x + 1), "exp(-x**2)": torch.exp(-x ** 2),
        "log(2 + x)": torch.log(2 + x), "cos(π*x)/2": torch.cos(math.pi * x) / 2,
        "x³ − x": x ** 3 - x, "2 ** -x": 2 ** -x,
    }
    for text, expected in checks.items():
        torch.testing.assert_close(parse_target(text).values(x), expected, msg=text)
    for label in PRESETS:
        assert parse_target(label).values(x).shape == x.shape


@pytest.mark.parametrize("text", ["1/x", "log(x)", "sqrt(x)", "9**9**9 * x", "x / (1 - 1)"])
def test_non_finite_targets_are_refused_before_training(text):
    with pytest.raises(ConfigError) as info:
        TrainConfig(target=text, points=3)  # x = -1, 0, 1
    message = str(info.value)
    assert info.value.culprit == "target"
    assert "not finite at x = " in message or "division by zero" in message


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="x()+-*/.0123456789 ,eipsqrtnlogab_[]'=<>^%&|~", max_size=30))
def test_fuzzed_targets_either_parse_or_explain(text):
    try:
        target = parse_target(text)
    except ExpressionError as exc:
        assert str(exc)
        return
    try:
        values = target.values(torch.linspace(-1, 1, 11))
    except ExpressionError as exc:
        assert "target" in str(exc)
        return
    assert values.shape == (11,)


# -- the least-squares demo ----------------------------------------------------------------------
def test_least_squares_reaches_the_pseudo_inverse_solution():
    config = LeastSquaresConfig(rows=8, cols=3, lr=0.02, epochs=1500, seed=1)
    items = list(least_squares_sgd(config))
    start, result = items[0], items[-1]
    assert isinstance(start, LeastSquaresStart) and isinstance(result, LeastSquaresResult)
    assert config.lr < start.lr_limit
    A, y = torch.from_numpy(start.A).double(), torch.from_numpy(start.y).double()
    np.testing.assert_allclose(start.pinv_solution, (torch.linalg.pinv(A) @ y).numpy())
    progress = [i for i in items if isinstance(i, LeastSquaresProgress)]
    assert progress[0].distance > 0.1
    assert result.distance < 1e-4  # tall A, full rank: the one least-squares solution
    assert result.losses[-1] == pytest.approx(start.min_loss, rel=1e-4)
    assert all(b <= a * (1 + 1e-5) for a, b in zip(result.losses, result.losses[1:]))


def test_seed_exercise_wide_a_ends_nearest_x0():
    """The seed's 3 × 4: from a random x₀ SGD reaches a solution, not A⁺y; from zeros, A⁺y."""
    random = list(least_squares_sgd(LeastSquaresConfig(epochs=2000)))
    start, last = random[0], random[-1]
    assert last.losses[-1] < 1e-8  # Ax = y is solved ...
    gap = np.linalg.norm(start.limit - start.pinv_solution)
    assert last.distance == pytest.approx(gap, rel=1e-3) and gap > 0.1  # ... away from A⁺y
    assert random[-2].distance_to_limit < 1e-4
    zeros = list(least_squares_sgd(LeastSquaresConfig(epochs=2000, init="zeros")))[-1]
    assert zeros.distance < 1e-4


def test_least_squares_divergence_and_bad_config():
    result = list(least_squares_sgd(LeastSquaresConfig(lr=10, epochs=5000)))[-1]
    assert result.diverged and "1/σ_max²" in result.diverged
    assert "learning rate 10" in result.diverged
    with pytest.raises(ConfigError) as info:
        LeastSquaresConfig(rows=0)
    assert info.value.culprit == "rows" and "between 1 and 200" in str(info.value)
    with pytest.raises(ConfigError) as info:
        LeastSquaresConfig(init="ones")
    assert info.value.culprit == "init"


# -- the graph's code ----------------------------------------------------------------------------
@pytest.mark.parametrize("config", [
    TrainConfig(), TrainConfig(network="per_point", activation="relu", hidden=7, seed=3),
    TrainConfig(target="sin(pi*x) + 0.5*exp(-x)", noise=0.2, optimizer="sgd"),
    TrainConfig(target="step", noise=0.1, points=9),
], ids=["default", "per_point", "noisy_formula", "step"])
def test_step_code_parses_and_gives_the_networks_initial_loss(config):
    code = training_step_code(config)
    evaluation = evaluate(parse_code(code))
    net, data = build(config)
    inputs = net.shape_input(data.x_points)
    expected = torch.nn.functional.mse_loss(net(inputs), net.shape_input(data.y_points))
    assert evaluation.output.item() == pytest.approx(expected.item(), rel=1e-6)
    assert evaluation.output_name == "loss"
    assert "F.linear" in code and "F.mse_loss" in code


def test_default_step_code_is_the_course_network():
    code = training_step_code(TrainConfig())
    assert "m = n = 20" in code and "p = 10" in code and "torch.manual_seed(0)" in code
    assert "y_vals = (x_vals ** 3) - x_vals" in code
    assert "torch.sigmoid(F.linear(x_vals, W))" in code


def test_least_squares_code_matches_the_demo():
    config = LeastSquaresConfig(rows=3, cols=4, seed=2)
    evaluation = evaluate(parse_code(least_squares_code(config)))
    start = next(least_squares_sgd(config))
    expected = float(((start.A @ start.x0 - start.y) ** 2).sum())
    assert evaluation.output.item() == pytest.approx(expected, rel=1e-6)


def test_training_on_a_device_starts_from_the_cpu_s_numbers():
    """``device``: the weights and data are drawn on the CPU, then moved, so the run on the CPU
    named explicitly is the default run, number for number; a device this machine lacks is a
    ConfigError naming it."""
    config = TrainConfig(epochs=15)
    default, on_cpu = run_to_end(config), run_to_end(config, device="cpu")
    np.testing.assert_array_equal(on_cpu.losses, default.losses)
    assert on_cpu.fit_error == default.fit_error
    with pytest.raises(ConfigError, match="unknown device 'gpu'") as bad:
        run_to_end(config, device="gpu")
    assert bad.value.culprit == "device"
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="cannot train on cuda: no CUDA GPU"):
            run_to_end(config, device="cuda")


@pytest.mark.gpu
def test_training_on_the_gpu_gives_the_cpu_s_losses():
    config = TrainConfig(epochs=100)
    cpu, gpu = run_to_end(config), run_to_end(config, device="cuda")
    np.testing.assert_allclose(gpu.losses, cpu.losses, rtol=1e-4, atol=1e-7)
    assert gpu.fit_error == pytest.approx(cpu.fit_error, rel=1e-3, abs=1e-7)
