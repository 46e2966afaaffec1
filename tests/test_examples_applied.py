"""Examples 8-15 (universal approximation to the CNN on digits) run in quick mode, headlines asserted.

Each example is imported from its file, ``main(["--quick", "--out", tmp])`` is called, and
the test checks the claim the example exists to demonstrate, plus the pictures it promises.
"""

from __future__ import annotations

import numpy as np
import pytest
from example_runner import assert_pictures, assert_plots, run_quick


# -- 8. universal_approximation --------------------------------------------------------------------
def test_universal_approximation_error_falls_with_width_except_max_error_of_step(tmp_path):
    result = run_quick("universal_approximation", tmp_path)
    widths, errors = result["widths"], result["errors"]
    assert widths[0] == 1 and widths[-1] >= 16
    for name in ("sin", "abs"):  # continuous targets: the widest net is far better than one unit
        assert errors[name]["max"][-1] < 0.4 * errors[name]["max"][0], name
        assert errors[name]["mean"][-1] < 0.3 * errors[name]["mean"][0], name
    step = errors["step"]
    assert min(step["max"]) >= 0.45  # no continuous fit gets within 0.5 of a jump
    assert step["mean"][-1] < 0.7 * step["mean"][0]  # ...but the region where it is wrong shrinks
    # A polynomial activation (x²) gives a quadratic at any width: stuck at the best quadratic.
    squared = errors["sin_square_activation"]["mean"]
    assert min(squared) >= 0.98 * result["best_quadratic_mean_error"]
    assert errors["sin"]["mean"][-1] < 0.2 * squared[-1]
    assert_plots(tmp_path, "universal_approximation_fits.png", "universal_approximation_error_vs_width.png")


# -- 9. regression ---------------------------------------------------------------------------------
def test_regression_mlp_does_not_beat_linear_on_diabetes_but_wins_the_load_forecast(tmp_path):
    result = run_quick("regression", tmp_path)
    diabetes = result["diabetes"]
    # Gradient descent on nn.Linear lands on the closed-form least-squares solution.
    assert diabetes["gd_vs_closed_form"] < 1e-3
    assert diabetes["linear"]["mse"] < 0.6 * diabetes["mean"]["mse"]
    assert diabetes["mlp"]["mse"] < 0.7 * diabetes["mean"]["mse"]
    # The honest finding: the MLP is no real improvement on linear regression here.
    assert diabetes["mlp"]["mse"] > 0.9 * diabetes["linear"]["mse"]
    energy = result["energy"]
    rmse = {k: energy[k]["rmse"] for k in ("noise_floor", "mlp", "linear", "seasonal_naive")}
    assert rmse["noise_floor"] < rmse["mlp"] < rmse["linear"] < rmse["seasonal_naive"], rmse
    assert_plots(tmp_path, "regression_diabetes.png", "regression_energy_forecast.png")


# -- 10. classification ----------------------------------------------------------------------------
def test_classification_reaches_95_percent_on_both_data_sets(tmp_path):
    result = run_quick("classification", tmp_path)
    cancer, digits = result["breast_cancer"], result["digits"]
    assert cancer["accuracy"] >= 0.95
    assert digits["accuracy"] >= 0.95
    # The confusion matrices are consistent with the accuracies and the test-set sizes.
    cm = np.array(digits["confusion"])
    assert cm.shape == (10, 10) and cm.sum() == 360  # 20% of 1797, stratified
    assert np.trace(cm) / cm.sum() == pytest.approx(digits["accuracy"])
    assert (cm.sum(axis=1) >= 35).all()  # every digit is in the test set
    cm2 = np.array(cancer["confusion"])
    assert cm2.sum() == 114 and np.trace(cm2) / cm2.sum() == pytest.approx(cancer["accuracy"])
    assert cancer["malignant_recall"] == pytest.approx(cm2[0, 0] / cm2[0].sum())
    assert_plots(tmp_path, "classification_confusion_matrices.png", "classification_test_accuracy.png")


# -- 11. autoencoder -------------------------------------------------------------------------------
def test_autoencoder_beats_pca_with_a_2d_code_that_keeps_class_structure(tmp_path):
    result = run_quick("autoencoder", tmp_path)
    # Nonlinear 2-D code reconstructs held-out digits better than the best linear 2-D code.
    assert result["test_mse"] < 0.9 * result["pca2_test_mse"] < result["mean_image_test_mse"]
    assert abs(result["test_mse"] - result["train_mse"]) < 0.01  # no big overfit at this size
    # The code was learned without labels, yet the digits are far from mixed in it.
    assert result["code_centroid_accuracy"] > 0.4
    assert_plots(tmp_path, "autoencoder_codes.png", "autoencoder_reconstructions.png", "autoencoder_loss.png")


# -- 12. custom_op ---------------------------------------------------------------------------------
def test_custom_softplus_passes_gradchecks_and_gradcheck_names_the_buggy_op(tmp_path):
    result = run_quick("custom_op", tmp_path)
    assert result["gradcheck"] is True and result["gradgradcheck"] is True
    message = result["bug_message"]
    assert "the recorded op whose backward is wrong: SoftplusForgetsGradOut" in message
    assert "analytic" in message and "numeric" in message
    naive, careful = result["extremes"]["naive"], result["extremes"]["careful"]
    assert naive["value"][0] == 0.0 and np.isinf(naive["value"][2]) and np.isnan(naive["grad"][2])
    assert careful["value"][0] == pytest.approx(np.exp(-100.0), rel=1e-3)  # log1p keeps it
    assert careful["value"][2] == 100.0 and careful["grad"][2] == 1.0
    assert result["max_error_first_derivative"] < 1e-12
    assert result["max_error_second_derivative"] < 1e-12
    assert result["neuron_value"] == pytest.approx(np.log1p(np.exp(-2.5)), rel=1e-6)
    assert "∂softplus(x)/∂x = σ(x)" in (tmp_path / "custom_op_explain.txt").read_text(encoding="utf-8")
    assert_pictures(tmp_path, "custom_op_graph.svg", "custom_op_backward.svg")
    forward_svg = (tmp_path / "custom_op_graph.svg").read_text(encoding="utf-8")
    assert "<svg" in forward_svg and "Softplus" in forward_svg
    assert "σ(x)" in (tmp_path / "custom_op_backward.svg").read_text(encoding="utf-8")
    assert_plots(tmp_path, "custom_op_softplus.png")


# -- 13. higher_order ------------------------------------------------------------------------------
def test_higher_order_hvp_matches_finite_differences_and_newton_converges_quadratically(tmp_path):
    result = run_quick("higher_order", tmp_path)
    hess = result["hessian"]
    assert hess["n_params"] == 21
    assert hess["rel_diff"] < 1e-6 and hess["hv_norm"] > 0.1  # a real, non-trivial product
    assert hess["asymmetry"] < 1e-12
    # Quadratic convergence: e_k / e_(k-1)^2 tends to f'''/(2 f'') = 1/2 at the minimum.
    assert result["newton_ratios"][-1] == pytest.approx(0.5, abs=0.01)
    assert result["newton_iterations"] <= 6
    assert result["gd_iterations"] is not None and result["gd_iterations"] > 5 * result["newton_iterations"]
    graph = result["gradient_graph"]
    assert graph["dydx"] == pytest.approx(graph["dydx_exact"], abs=1e-12)
    assert graph["d2ydx2"] == pytest.approx(graph["d2ydx2_exact"], abs=1e-12)
    assert graph["grad_graph_ops"] >= 5  # the gradient really is a recorded computation
    assert_pictures(tmp_path, "higher_order_function_graph.svg", "higher_order_grad_graph.svg")
    svg = (tmp_path / "higher_order_grad_graph.svg").read_text(encoding="utf-8")
    assert "dy_dx" in svg and "Tanh" in svg
    assert_plots(tmp_path, "higher_order_newton.png")


# -- 14. transfer_learning -------------------------------------------------------------------------
def test_transfer_learning_frozen_autoencoder_features_against_scratch_on_50_labels(tmp_path):
    result = run_quick("transfer_learning", tmp_path)
    acc = result["accuracy_50"]
    assert set(acc) >= {"scratch", "frozen_ae_hidden", "frozen_ae_code", "frozen_random", "fine_tuned"}
    assert result["frozen_weights_unchanged"] is True  # requires_grad_(False) really froze them
    assert min(acc.values()) > 0.5  # every variant learns far above chance (0.1) from 50 labels
    assert acc["scratch"] >= 0.75
    # The measured, honest result: the 2-D code is a harsh bottleneck, and the frozen
    # 32-unit autoencoder features do not beat the same network trained from scratch.
    assert acc["frozen_ae_code"] < acc["frozen_ae_hidden"] - 0.05
    assert acc["frozen_ae_hidden"] < acc["scratch"]
    assert acc["fine_tuned"] > acc["scratch"] - 0.03
    assert_plots(tmp_path, "transfer_learning_accuracy.png")


# -- 15. cnn_digits --------------------------------------------------------------------------------
def test_cnn_digits_beats_the_mlp_and_draws_its_layers_with_their_rules(tmp_path):
    result = run_quick("cnn_digits", tmp_path)
    assert result["cnn_accuracy"] > result["mlp_accuracy"]  # the claim the example exists for
    assert result["cnn_accuracy"] >= 0.95
    assert result["cnn_params"] < result["mlp_params"]  # ... with fewer weights
    cm = np.array(result["confusion"])
    assert cm.shape == (10, 10) and cm.sum() == 360
    assert np.trace(cm) / cm.sum() == pytest.approx(result["cnn_accuracy"])
    assert_pictures(tmp_path, "cnn_digits_layers.svg")
    svg = (tmp_path / "cnn_digits_layers.svg").read_text(encoding="utf-8")
    assert "the input convolved with the upstream gradient" in svg  # the conv's weight rule
    assert "routed to each window" in svg and "BatchNorm2d" in svg
    assert_plots(tmp_path, "cnn_digits_filters.png", "cnn_digits_test_accuracy.png")
