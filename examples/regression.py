"""Regression: disease progression on the diabetes data, and a day-ahead "energy load" forecast.

Part 1, diabetes (442 patients, 10 measurements; shipped with the package).  Each split
puts 20% of the patients aside as a test set, standardizes the features with the training
rows' mean and std, and fits four predictors of the target (a progression score, 25..346):

- the training mean (the error of knowing nothing),
- least squares in closed form with NumPy (``np.linalg.lstsq``),
- the same linear model as a tinygrad_edu ``nn.Linear`` trained by gradient descent with
  momentum -- it must land on the closed-form answer; the step size comes from the data:
  gradient descent on the MSE is stable only for steps below 2/λ_max of its Hessian
  2·XᵀX/n, so the script computes λ_max and uses lr = 1/λ_max,
- an MLP 10→16→1 (ReLU, Adam, mini-batches of 32) with early stopping: a fifth of the
  training rows is held back to pick the epoch, so the MLP fits on fewer rows than the
  linear models.

Test MSE and MAE (in the target's own units) are averaged over several random splits,
because on 89 test patients one split's difference between two models is mostly luck.
What the full run finds, and it is the usual finding on this data set: the MLP does *not*
beat linear regression -- the relation is close to linear and 350 noisy rows are too few
to learn anything more.  Both explain about half the variance the mean leaves.

Part 2, a synthetic hourly electricity load (weeks of data from a fixed seed): a daily
profile with morning and evening peaks, weaker on weekends, a weekly dip, a slow upward
trend, and AR(1) noise (φ = 0.8, so it is smooth hour to hour but unpredictable a day
ahead).  The task is a *day-ahead* forecast: predict hour t from what is known at t - 24.
Inputs: hour-of-day and day-of-week as sines and cosines, a weekend flag, and the load 24 h
and 168 h earlier; everything is measured relative to the level (the mean load of the week
ending at t - 24), which removes the trend so the models never have to extrapolate.  The
last two weeks are the test set (the week before them picks the MLP's epoch).  Baselines:
the seasonal naive forecast (the load at the same hour a week earlier) and least squares on
the same inputs.  The weekday and weekend profiles differ in shape, an interaction that a
linear model of these inputs cannot express and an MLP 9→16→1 (tanh) can; the "noise
floor" is the error of the noise-free signal itself, which no forecast can beat on average.

    python examples/regression.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/regression``):

- ``regression_diabetes.png``: predicted against true progression on the first split's test
  patients, linear least squares and MLP.
- ``regression_energy_forecast.png``: the whole series with the test period marked, and
  the test weeks with the true load, the MLP forecast and the seasonal naive forecast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

F64 = np.float64
DAY, WEEK = 24, 168


# -- shared pieces -------------------------------------------------------------------------------
def least_squares(X_train: np.ndarray, y_train: np.ndarray) -> np.ndarray:
    """Weights and bias (last entry) minimising the training MSE, from NumPy's lstsq."""
    A = np.c_[X_train, np.ones(len(X_train))]
    return np.linalg.lstsq(A, y_train, rcond=None)[0]


def predict_linear(coef: np.ndarray, X: np.ndarray) -> np.ndarray:
    return X @ coef[:-1] + coef[-1]


def errors(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    diff = pred - truth
    return {"mse": float(np.mean(diff ** 2)), "rmse": float(np.sqrt(np.mean(diff ** 2))),
            "mae": float(np.mean(np.abs(diff)))}


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(tg.Tensor(X)).data[:, 0]


def train_with_early_stopping(model: nn.Module, X: np.ndarray, y: np.ndarray, X_val: np.ndarray,
                              y_val: np.ndarray, epochs: int, lr: float, seed: int) -> int:
    """Adam on mini-batches of 32 for ``epochs`` epochs; keep the weights of the epoch with the
    lowest validation MSE (the model is left holding them).  Returns that epoch (1-based)."""
    opt = tg.optim.Adam(model.parameters(), lr=lr)
    loader = tg.data.DataLoader((X, y[:, None]), batch_size=32, shuffle=True, seed=seed, dtype=F64)
    best_mse, best_epoch, best_state = np.inf, 0, model.state_dict()
    for epoch in range(1, epochs + 1):
        for xb, yb in loader:
            opt.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            opt.step()
        val_mse = float(np.mean((predict(model, X_val) - y_val) ** 2))
        if val_mse < best_mse:
            best_mse, best_epoch, best_state = val_mse, epoch, model.state_dict()
    model.load_state_dict(best_state)
    return best_epoch


# -- part 1: diabetes ----------------------------------------------------------------------------
def linear_by_gradient_descent(X: np.ndarray, y: np.ndarray, steps: int) -> nn.Linear:
    """nn.Linear fitted to the MSE by full-batch gradient descent with momentum 0.9.

    The MSE's Hessian (in w and b) is H = 2·AᵀA/n with A = [X, 1]; plain gradient descent
    diverges for lr > 2/λ_max(H), and lr = 1/λ_max is a safe, fast choice.
    """
    A = np.c_[X, np.ones(len(X))]
    lam_max = float(np.linalg.eigvalsh(2 * A.T @ A / len(A)).max())
    model = nn.Linear(X.shape[1], 1, dtype=F64, init="zeros")
    opt = tg.optim.SGD(model.parameters(), lr=1.0 / lam_max, momentum=0.9)
    xt, yt = tg.Tensor(X), tg.Tensor(y[:, None])
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(model(xt), yt).backward()
        opt.step()
    return model


def diabetes_split(seed: int, epochs: int) -> dict[str, Any]:
    """One random 80/20 split: test errors of the four predictors, in the target's units."""
    X, y = tg.data.load_diabetes(scaled=False)  # raw units; we standardize ourselves
    X_train, X_test, y_train, y_test = tg.data.train_test_split(X, y, test_size=0.2, seed=seed)
    X_train, X_test, _ = tg.data.standardize(X_train, X_test)
    # Scale the target too, so every model trains on numbers of order 1.
    y_train_s, y_scale = tg.data.standardize(y_train[:, None])
    z_train = y_train_s[:, 0]

    def unscale(z: np.ndarray) -> np.ndarray:
        return y_scale.inverse_transform(z[:, None])[:, 0]

    coef = least_squares(X_train, y_train)
    linear_gd = linear_by_gradient_descent(X_train, z_train, steps=300)

    X_fit, X_val, z_fit, z_val = tg.data.train_test_split(X_train, z_train, test_size=0.2, seed=seed + 100)
    tg.manual_seed(seed)
    mlp = nn.MLP([X.shape[1], 16, 1], activation="relu", dtype=F64)
    best_epoch = train_with_early_stopping(mlp, X_fit, z_fit, X_val, z_val, epochs, lr=0.003, seed=seed)

    preds = {
        "mean": np.full(len(y_test), y_train.mean()),
        "linear": predict_linear(coef, X_test),
        "linear_gd": unscale(predict(linear_gd, X_test)),
        "mlp": unscale(predict(mlp, X_test)),
    }
    return {"errors": {k: errors(p, y_test) for k, p in preds.items()}, "best_epoch": best_epoch,
            "y_test": y_test, "preds": preds}


# -- part 2: energy load -----------------------------------------------------------------------------
def energy_series(weeks: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Hourly load (arbitrary units) for ``weeks`` weeks, starting on a Monday at midnight.

    clean(t) = 100 + 0.02·t + profile(hour)·(1 - 0.5·weekend) - 8·weekend, where the profile
    has a morning peak near 8:00 and an evening peak near 19:00; load = clean + AR(1) noise
    n_t = 0.8·n_{t-1} + N(0, 2²).  Returns (load, clean).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(weeks * WEEK)
    hour, weekend = t % DAY, ((t // DAY) % 7 >= 5).astype(F64)
    profile = (12 * np.exp(-((hour - 8) / 2.5) ** 2) + 18 * np.exp(-((hour - 19) / 3.0) ** 2)
               - 6 * np.cos(2 * np.pi * hour / DAY))
    clean = 100 + 0.02 * t + profile * (1 - 0.5 * weekend) - 8 * weekend
    shocks = rng.normal(0.0, 2.0, size=len(t))
    noise = np.zeros(len(t))
    for i in range(1, len(t)):
        noise[i] = 0.8 * noise[i - 1] + shocks[i]
    return clean + noise, clean


def energy_features(load: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs for forecasting the hours ``rows`` a day ahead, and the level they are relative to.

    level(t) = mean load of the 168 hours ending at t - 24 (known a day ahead).
    """
    hour, day = rows % DAY, (rows // DAY) % 7
    level = np.array([load[r - DAY - WEEK + 1: r - DAY + 1].mean() for r in rows])
    X = np.column_stack([
        np.sin(2 * np.pi * hour / DAY), np.cos(2 * np.pi * hour / DAY),
        np.sin(4 * np.pi * hour / DAY), np.cos(4 * np.pi * hour / DAY),
        np.sin(2 * np.pi * day / 7), np.cos(2 * np.pi * day / 7), (day >= 5).astype(F64),
        load[rows - DAY] - level, load[rows - WEEK] - level,
    ])
    return X, level


def energy_forecast(weeks: int, epochs: int) -> dict[str, Any]:
    load, clean = energy_series(weeks, seed=0)
    rows = np.arange(DAY + WEEK, len(load))  # the first 8 days have no full history
    X, level = energy_features(load, rows)
    target = load[rows] - level
    n_test, n_val = 2 * WEEK, WEEK
    fit, val, test = slice(0, -n_test - n_val), slice(-n_test - n_val, -n_test), slice(-n_test, None)
    X_fit, X_val, X_test, _ = tg.data.standardize(X[fit], X[val], X[test])
    z_fit, z_scale = tg.data.standardize(target[fit][:, None])

    def unscale(z: np.ndarray) -> np.ndarray:
        return z_scale.inverse_transform(z[:, None])[:, 0]

    coef = least_squares(np.r_[X_fit, X_val], target[:-n_test])  # all rows before the test
    tg.manual_seed(0)
    mlp = nn.MLP([X.shape[1], 16, 1], activation="tanh", dtype=F64)
    best_epoch = train_with_early_stopping(mlp, X_fit, z_fit[:, 0], X_val,
                                           z_scale.transform(target[val][:, None])[:, 0],
                                           epochs, lr=0.003, seed=0)
    test_rows, truth = rows[test], load[rows[test]]
    preds = {
        "seasonal_naive": load[test_rows - WEEK],
        "linear": predict_linear(coef, X_test) + level[test],
        "mlp": unscale(predict(mlp, X_test)) + level[test],
        "noise_floor": clean[test_rows],
    }
    return {"errors": {k: errors(p, truth) for k, p in preds.items()}, "best_epoch": best_epoch,
            "hours": test_rows, "truth": truth, "preds": preds, "load": load,
            "n_fit": len(X_fit)}


# -- main ----------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/regression")
    n_splits, diabetes_epochs = (2, 60) if args.quick else (10, 200)
    weeks, energy_epochs = (8, 40) if args.quick else (12, 80)

    print(f"diabetes: {n_splits} random 80/20 splits, test errors in the target's units "
          "(mean ± std over splits)")
    splits = [diabetes_split(seed, diabetes_epochs) for seed in range(n_splits)]
    names = {"mean": "training mean", "linear": "least squares (NumPy)",
             "linear_gd": "nn.Linear, GD+momentum", "mlp": "MLP 10-16-1"}
    diabetes: dict[str, Any] = {}
    for key, label in names.items():
        mse = np.array([s["errors"][key]["mse"] for s in splits])
        mae = np.array([s["errors"][key]["mae"] for s in splits])
        diabetes[key] = {"mse": float(mse.mean()), "mae": float(mae.mean()),
                         "mse_std": float(mse.std()), "mae_std": float(mae.std())}
        print(f"  {label:<24} MSE {mse.mean():7.1f} ± {mse.std():5.1f}   "
              f"MAE {mae.mean():5.1f} ± {mae.std():4.1f}")
    mlp_wins = sum(s["errors"]["mlp"]["mse"] < s["errors"]["linear"]["mse"] for s in splits)
    gd_gap = max(abs(s["errors"]["linear_gd"]["mse"] / s["errors"]["linear"]["mse"] - 1) for s in splits)
    r2 = {k: 1 - diabetes[k]["mse"] / diabetes["mean"]["mse"] for k in ("linear", "mlp")}
    diabetes.update(mlp_wins=int(mlp_wins), n_splits=n_splits, gd_vs_closed_form=float(gd_gap),
                    r2_vs_mean=r2)
    print(f"  the MLP has the lower test MSE on {mlp_wins} of {n_splits} splits; gradient descent "
          f"matches the closed form to {gd_gap:.1e} (relative test MSE)")
    print(f"  share of the mean-predictor's MSE explained: linear {r2['linear']:.2f}, MLP {r2['mlp']:.2f}")

    energy = energy_forecast(weeks, energy_epochs)
    print(f"energy load, day-ahead forecast of the last 2 weeks ({weeks} weeks of hourly data, "
          f"{energy['n_fit']} training hours; MLP epoch chosen on the week before the test: "
          f"{energy['best_epoch']})")
    labels = {"seasonal_naive": "seasonal naive (last week)", "linear": "least squares",
              "mlp": "MLP 9-16-1", "noise_floor": "noise floor (clean signal)"}
    for key, label in labels.items():
        e = energy["errors"][key]
        print(f"  {label:<28} RMSE {e['rmse']:5.2f}   MAE {e['mae']:5.2f}")

    plt = pyplot()
    if plt is not None:
        _plot_diabetes(plt, args.out, splits[0])
        _plot_energy(plt, args.out, energy)
    return {"diabetes": diabetes,
            "energy": {k: energy["errors"][k] for k in labels} | {"best_epoch": energy["best_epoch"]}}


def _plot_diabetes(plt: Any, out: Any, split: dict[str, Any]) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True)
    y = split["y_test"]
    for ax, key, title in zip(axes, ("linear", "mlp"), ("least squares", "MLP 10-16-1")):
        e = split["errors"][key]
        ax.scatter(y, split["preds"][key], s=14, alpha=0.7)
        ax.plot([y.min(), y.max()], [y.min(), y.max()], color="grey", ls="--", lw=1)
        ax.set_title(f"{title}: test MSE {e['mse']:.0f}, MAE {e['mae']:.1f}")
        ax.set_xlabel("true progression")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("predicted progression")
    fig.suptitle("Diabetes, first split's test patients")
    fig.tight_layout()
    save_figure(fig, out, "regression_diabetes.png")


def _plot_energy(plt: Any, out: Any, energy: dict[str, Any]) -> None:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6.5), gridspec_kw={"height_ratios": [1, 1.4]})
    load, hours = energy["load"], energy["hours"]
    top.plot(np.arange(len(load)) / DAY, load, lw=0.6, color="tab:blue")
    top.axvspan(hours[0] / DAY, (hours[-1] + 1) / DAY, color="tab:orange", alpha=0.15, label="test weeks")
    top.set_xlabel("day")
    top.set_ylabel("load")
    top.set_title("Synthetic hourly load: daily and weekly seasonality, trend, AR(1) noise")
    top.legend(loc="upper left", fontsize=8)
    days = hours / DAY
    err = energy["errors"]
    bottom.plot(days, energy["truth"], color="black", lw=1.2, label="true load")
    bottom.plot(days, energy["preds"]["mlp"], color="tab:green", lw=1.2,
                label=f"MLP (RMSE {err['mlp']['rmse']:.2f})")
    bottom.plot(days, energy["preds"]["seasonal_naive"], color="tab:red", lw=1, ls="--", alpha=0.8,
                label=f"same hour last week (RMSE {err['seasonal_naive']['rmse']:.2f})")
    bottom.set_xlabel("day")
    bottom.set_ylabel("load")
    bottom.set_title("Day-ahead forecasts on the test weeks "
                     f"(least squares RMSE {err['linear']['rmse']:.2f}, "
                     f"noise floor {err['noise_floor']['rmse']:.2f})")
    bottom.legend(loc="upper left", fontsize=8, ncol=3)
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, out, "regression_energy_forecast.png")


if __name__ == "__main__":
    main()
