"""``nla-explorer train``: the training panel's run, headless, reproducible outside the window."""

from __future__ import annotations

import argparse
import json
import sys

SETTINGS = ("network", "hidden", "lr", "epochs", "points", "activation", "optimizer", "target",
            "noise", "seed")


def add_train_parser(subparsers) -> None:
    """Add the ``train`` subcommand to an ``argparse`` subparsers object."""
    from nla_explorer.cli.args import positive_int
    from nla_explorer.engine.training.config import (
        ACTIVATIONS, BOUNDS, NETWORKS, OPTIMIZERS, TrainConfig, bound_text,
    )

    d = TrainConfig()
    p = subparsers.add_parser(
        "train", help="train the polynomial-fit network and print the loss per epoch",
        description="Train the course's polynomial-fit network (defaults: the seed notebook's "
                    "20 → 10 → 20 sigmoid net on x³ − x, Adam lr 0.01, 100 epochs) and print "
                    "the loss of every epoch and the final fit error.")

    def bounds(name: str) -> str:
        low, high = BOUNDS[name]
        return f"{bound_text(low)}..{bound_text(high)}"

    p.add_argument("--network", metavar="NET", help=f"{' or '.join(NETWORKS)} "
                   f"(default {d.network}: the m values are one sample; per_point: 1 → p → 1)")
    p.add_argument("--hidden", type=int, metavar="P", help=f"hidden width p, {bounds('hidden')} "
                   f"(default {d.hidden})")
    p.add_argument("--lr", type=float, metavar="LR", help=f"learning rate, {bounds('lr')} "
                   f"(default {d.lr:g})")
    p.add_argument("--epochs", type=int, metavar="E", help=f"{bounds('epochs')} "
                   f"(default {d.epochs})")
    p.add_argument("--points", type=int, metavar="M", help=f"number of points m, "
                   f"{bounds('points')} (default {d.points})")
    p.add_argument("--activation", metavar="A", help=f"{', '.join(ACTIVATIONS)} "
                   f"(default {d.activation})")
    p.add_argument("--optimizer", metavar="O", help=f"{', '.join(OPTIMIZERS)} (momentum = SGD "
                   f"with momentum 0.9; default {d.optimizer})")
    p.add_argument("--target", metavar="EXPR", help="the function of x to fit: a formula "
                   f"(default {d.target}) with + - * / **, pi, e, sin, cos, exp, log, tanh, abs, "
                   "sqrt, sigmoid, relu, step")
    p.add_argument("--noise", type=float, metavar="N", help=f"std of Gaussian noise added to the "
                   f"targets, {bounds('noise')} (default 0)")
    p.add_argument("--seed", type=int, metavar="S", help=f"torch.manual_seed, {bounds('seed')} "
                   f"(default {d.seed})")
    p.add_argument("--every", type=positive_int(), default=10, metavar="K",
                   help="text output: print every K-th epoch (default 10, like the notebook)")
    p.add_argument("--device", default="cpu", metavar="D",
                   help="where to train: cpu, cuda, cuda:N or mps (default cpu; the weights "
                        "are drawn on the CPU, so every device starts from the same numbers)")
    p.add_argument("--json", action="store_true",
                   help="print {config, loss (per epoch), final_loss, fit_error, diverged} as JSON")


def run_train(args: argparse.Namespace) -> int:
    """Run the ``train`` subcommand; 0 on success (also when training diverged), 2 on bad input."""
    from nla_explorer.engine.errors import EngineError
    from nla_explorer.engine.training.loop import run_to_end
    from nla_explorer.engine.training.config import config_from

    values = {name: getattr(args, name) for name in SETTINGS
              if getattr(args, name, None) is not None}
    for name in ("network", "activation", "optimizer"):
        if name in values:
            values[name] = values[name].strip().lower().replace("-", "_")
    try:
        config = config_from(values)
        result = run_to_end(config, device=args.device)
    except EngineError as exc:
        print(f"nla-explorer: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(_as_json(result), sys.stdout)
        sys.stdout.write("\n")
        return 0
    _print_text(result, max(1, args.every))
    return 0


def _as_json(result) -> dict:
    return {"config": result.config.to_dict(), "loss": [float(v) for v in result.losses],
            "final_loss": result.final_loss, "fit_error": result.fit_error,
            "grid_error": result.grid_error, "diverged": result.diverged,
            "diverged_epoch": result.diverged_epoch, "elapsed_s": round(result.elapsed_s, 4)}


def _print_text(result, every: int) -> None:
    print(result.config.label())
    last = len(result.losses) - 1
    for epoch, loss in enumerate(result.losses):
        if epoch % every == 0 or epoch == last:
            print(f"Epoch {epoch}: Loss = {loss:.4e}")
    if result.diverged:
        print(f"diverged: {result.diverged}")
        return
    print(f"final loss {result.final_loss:.4e}, fit error (after the last step) "
          f"{result.fit_error:.4e}" + (f", error on [-1, 1] {result.grid_error:.4e}"
                                       if result.grid_error is not None else "")
          + f"  ({result.elapsed_s:.2f} s)")
