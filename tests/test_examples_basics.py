"""Examples 1-7 (perceptron to optimizers) run in quick mode, with their headline results asserted.

Each example is imported from its file, ``main(["--quick", "--out", tmp])`` is called, and
the test checks the claim the example exists to demonstrate, plus the pictures it promises.
"""

from __future__ import annotations

import pathlib

import pytest
from example_runner import assert_pictures, assert_plots, run_quick


# -- 1. perceptron_gates ---------------------------------------------------------------------------
def test_perceptron_learns_and_or_but_never_xor(tmp_path: pathlib.Path) -> None:
    result = run_quick("perceptron_gates", tmp_path)
    assert result["converged"] == {"AND": True, "OR": True, "XOR": False}
    assert result["epochs_to_converge"]["AND"] < 10
    assert result["epochs_to_converge"]["OR"] < 10
    assert result["errors"]["AND"][-1] == 0 and result["errors"]["OR"][-1] == 0
    assert len(result["errors"]["XOR"]) >= 20 and result["xor_min_errors"] > 0
    # The converged weights really compute the gates.
    for gate, truth in (("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1])):
        (w1, w2), b = result["weights"][gate]
        assert [int(w1 * x1 + w2 * x2 + b >= 0) for x1, x2 in ((0, 0), (0, 1), (1, 0), (1, 1))] == truth
    assert result["mlp_xor_accuracy"] == 1.0
    assert_pictures(tmp_path, "perceptron_graph.svg")
    assert "<svg" in (tmp_path / "perceptron_graph.svg").read_text(encoding="utf-8")
    assert_plots(tmp_path, "perceptron_boundaries.png", "perceptron_errors.png")


# -- 2. activations --------------------------------------------------------------------------------
def test_activation_derivatives_match_formulas_and_sigmoid_gradients_vanish(tmp_path: pathlib.Path) -> None:
    result = run_quick("activations", tmp_path)
    errors = result["max_abs_error"]
    assert set(errors) == {"sigmoid", "tanh", "relu", "leaky_relu(alpha=0.1)", "softmax"}
    assert max(errors.values()) < 1e-12
    assert result["leaky_relu_alpha"] == 0.1
    norms = result["first_layer_grad_norm"]
    assert norms["relu"] > 100 * norms["sigmoid"]
    assert result["relu_over_sigmoid"] == pytest.approx(norms["relu"] / norms["sigmoid"])
    sigmoid_layers = result["layer_grad_norms"]["sigmoid, Xavier init"]
    assert len(sigmoid_layers) == 10
    # The fading is monotone: every sigmoid layer sees a smaller gradient than the one above it.
    assert all(a < b for a, b in zip(sigmoid_layers, sigmoid_layers[1:]))
    # The GradientMonitor sees the same story while the stacks train: the sigmoid stack's first
    # layer gets a gradient thousands of times smaller than its last at the start, and smaller
    # than the ReLU stack's first layer at every step; the ReLU + He stack stays within 10x.
    health = result["monitor"]
    assert health["sigmoid"]["first_over_last"][0] < 1e-3
    assert max(health["sigmoid"]["fc1_grad_norm"]) < 1e-3 * min(health["relu"]["fc1_grad_norm"])
    assert all(0.1 < r < 10 for r in health["relu"]["first_over_last"])
    assert_plots(tmp_path, "activations.png", "vanishing_gradients.png", "gradient_health_sigmoid.png",
                 "gradient_health_relu.png")
    assert_pictures(tmp_path, "gradient_health_sigmoid.html", "gradient_health_relu.html")


# -- 3. backprop_by_hand_vs_autograd ---------------------------------------------------------------
def test_tutorial_backward_is_the_cross_entropy_gradient_not_the_mse(tmp_path: pathlib.Path) -> None:
    result = run_quick("backprop_by_hand_vs_autograd", tmp_path)
    assert result["hand_vs_autograd_bce"] < 1e-12
    assert result["hand_vs_library_bce"] < 1e-12
    assert result["hand_vs_finite_differences_bce"] < 1e-6  # independent of autograd
    assert result["hand_vs_autograd_mse"] > 1e-2  # a real discrepancy, not rounding
    assert min(result["mse_gap_per_param"].values()) > 1e-3  # every parameter is affected
    assert result["hand_with_mse_dz2_vs_autograd_mse"] < 1e-12  # the missing factor explains all of it
    assert result["trace_vs_hand"] < 1e-12  # tg.explain's numbers are the same gradients
    assert result["trace_steps"] == 18
    assert_pictures(tmp_path, "backprop_graph.svg", "backprop_graph_backward.svg", "backprop_explain.txt")
    trace = (tmp_path / "backprop_explain.txt").read_text(encoding="utf-8")
    assert trace.startswith("Chain rule for L") and "a2 = Sigmoid(z2)" in trace and "∂L/∂W1" in trace


# -- 4. xor_mlp ------------------------------------------------------------------------------------
def test_xor_mlp_recommended_lr_solves_xor_and_tutorial_claim_fails(tmp_path: pathlib.Path) -> None:
    result = run_quick("xor_mlp", tmp_path)
    assert result["seed0_accuracy"] == 1.0 and result["seed0_final_mse"] < 0.005
    assert result["seed0_tutorial_lr_final_mse"] > 0.2  # lr 0.1 has not left the plateau
    tutorial = result["seed_counts"][f"lr={result['tutorial_lr']:g},bce"]
    recommended = result["seed_counts"][f"lr={result['recommended_lr']:g},bce"]
    assert tutorial["epochs"] == 2000  # the claim is tested at the epoch count it names
    assert tutorial["seeds"] >= 3 and tutorial["reached_target"] < tutorial["seeds"] / 2
    assert recommended["solved"] == recommended["seeds"] == recommended["reached_target"]
    assert_pictures(tmp_path, "xor_graph.svg", "xor_backprop.html")
    table = (tmp_path / "xor_seeds_table.md").read_text(encoding="utf-8")
    counts = f"{tutorial['reached_target']}/{tutorial['seeds']}"
    assert f"| 0.1 (tutorial), 2000 epochs | BCE | {counts} |" in table
    assert_plots(tmp_path, "xor_loss_curve.png")


# -- 5. keras_and_pytorch_style --------------------------------------------------------------------
def test_keras_and_pytorch_snippets_classify_iris(tmp_path: pathlib.Path) -> None:
    result = run_quick("keras_and_pytorch_style", tmp_path)
    assert result["n_train"] == 105 and result["n_test"] == 45
    assert result["test_positives"] == 15  # stratified: a third of the test flowers are virginica
    assert result["test_accuracy"]["keras"] >= 0.9
    assert result["test_accuracy"]["pytorch"] >= 0.9
    assert result["final_training_loss"]["keras"] < 0.05  # MSE of a sigmoid output: it learned
    assert result["final_training_loss"]["pytorch"] < 0.1  # BCE, against log 2 = 0.69 at chance
    assert_plots(tmp_path, "keras_vs_pytorch_loss.png")


# -- 6. init_schemes -------------------------------------------------------------------------------
def test_init_schemes_symmetry_vanishing_and_healthy_signals(tmp_path: pathlib.Path) -> None:
    result = run_quick("init_schemes", tmp_path)
    zeros, xavier = result["symmetry"]["zeros"], result["symmetry"]["Xavier"]
    assert zeros["hidden_unit_spread"] == 0.0  # eight copies of one unit, exactly
    assert zeros["fc1_weight_norm"] > 0.1  # ... even though the weights did move
    assert zeros["accuracy"] == pytest.approx(result["majority_fraction"])
    assert xavier["hidden_unit_spread"] > 0.1 and xavier["accuracy"] > 0.95
    assert result["xor_zero_init_first_gradient_norm"] == 0.0

    stats = result["layer_stats"]
    for network in ("tanh", "ReLU"):
        assert set(stats[network]) == {"zeros", "small random (0.01)", "Xavier", "He"}
        for key in ("activation_std", "gradient_std"):
            assert stats[network]["zeros"][key] == [0.0] * 10
        small = stats[network]["small random (0.01)"]
        assert small["activation_std"][-1] < 1e-8 * small["activation_std"][0]  # vanished
        assert max(small["gradient_std"]) < 1e-10
    tanh_xavier = stats["tanh"]["Xavier"]
    assert tanh_xavier["activation_std"][-1] > 0.1
    assert 0.2 < tanh_xavier["gradient_std"][0] / tanh_xavier["gradient_std"][-1] < 5
    drift = result["activation_drift"]["ReLU"]
    assert 0.5 < drift["He"] < 2  # He keeps the ReLU signal at one scale
    assert drift["Xavier"] < 0.2  # Xavier lets it shrink by ~sqrt(2) per ReLU layer
    # The GradientMonitor, while the ReLU network trains: small weights starve the first layer
    # and barely move any; He keeps the first and last layers' gradients within 10x.
    small, he = result["monitor"]["small"], result["monitor"]["he"]
    assert small["first_over_last"][0] < 1e-6
    assert all(0.1 < r < 10 for r in he["first_over_last"])
    assert he["median_update_ratio"] > 1e4 * small["median_update_ratio"]
    assert 1e-5 < he["median_update_ratio"] < 1e-1
    assert_plots(tmp_path, "init_symmetry.png", "init_layer_stats.png", "gradient_health_small.png",
                 "gradient_health_he.png")
    assert_pictures(tmp_path, "gradient_health_small.html", "gradient_health_he.html")


# -- 7. optimizers ---------------------------------------------------------------------------------
def test_optimizers_on_a_bowl_and_on_breast_cancer(tmp_path: pathlib.Path) -> None:
    result = run_quick("optimizers", tmp_path)
    surface = result["surface"]
    epochs = surface["steps"]["batch GD"]
    # Same SGD, different DataLoader batch sizes: 1, 64 and 4 updates per epoch on 64 samples.
    assert surface["steps"]["SGD (batch 1)"] == 64 * epochs
    assert surface["steps"]["mini-batch (16)"] == 4 * epochs
    assert surface["condition_number"] > 10  # the bowl really is ill-conditioned
    d = surface["distance_to_minimum"]
    assert d["batch GD"] < surface["start_distance"]  # it does descend ...
    assert d["SGD (batch 1)"] < d["mini-batch (16)"] < d["batch GD"]  # ... but more steps per epoch win
    for name in ("momentum 0.9", "RMSprop", "Adam"):
        assert d[name] < 0.5 * d["batch GD"], name  # each beats plain GD at the same 1 step per epoch
    assert d["RMSprop"] < 0.05  # per-coordinate scaling undoes this axis-aligned ill-conditioning

    mlp = result["mlp"]
    assert len(set(mlp["initial_loss"].values())) == 1  # one starting network for all
    for name, final in mlp["final_loss"].items():
        assert final < 0.6 * mlp["initial_loss"][name], name
        assert mlp["test_accuracy"][name] >= 0.9, name
    race = result["race_final_loss"]  # (c): momentum reaches the valley's minimum first
    assert list(race) == ["GD (lr 0.01)", "momentum 0.9 (lr 0.01)", "RMSprop (lr 0.01)", "Adam (lr 0.05)"]
    assert race["momentum 0.9 (lr 0.01)"] < 1e-4 and race["Adam (lr 0.05)"] < 0.01
    assert race["GD (lr 0.01)"] > 0.1 and race["RMSprop (lr 0.01)"] > 0.1
    assert_pictures(tmp_path, "optimizer_race.html")
    assert mlp["final_loss"]["mini-batch (32)"] < mlp["final_loss"]["batch GD"]
    assert_plots(tmp_path, "optimizer_paths.png", "optimizer_loss_curves.png")
