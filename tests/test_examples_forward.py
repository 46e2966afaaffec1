"""examples/forward_vs_reverse.py in quick mode: the Jacobian both ways, the passes each mode
needs, Hessian-vector products forward over reverse, and the picture of both modes."""

import pytest
from example_runner import assert_pictures, run_quick


def test_forward_vs_reverse_jacobians_agree_and_costs_are_n_against_m(tmp_path):
    result = run_quick("forward_vs_reverse", tmp_path)
    jac = result["jacobian"]
    assert (jac["n"], jac["m"]) == (4, 3)
    assert (jac["forward_passes"], jac["backward_passes"]) == (4, 3)  # columns, rows
    assert jac["columns_vs_rows"] < 1e-12 and jac["jacfwd_vs_jacrev"] < 1e-12
    assert jac["jacfwd_vs_columns"] < 1e-12
    assert jac["vs_finite_differences"] < 1e-8  # float64 central differences, eps 1e-6
    # n forward passes or m backward passes, whatever the other dimension is
    assert [(c["n"], c["m"], c["forward"], c["backward"]) for c in result["passes"]] == [
        (1, 1, 1, 1), (10, 1, 10, 1), (1, 10, 1, 10), (100, 1, 100, 1), (1, 100, 1, 100)]
    hv = result["hvp"]
    assert hv["n_params"] == 13 and hv["hv_norm"] > 0.1  # a real, non-trivial product
    assert hv["fwd_rev_vs_rev_rev"] < 1e-12
    assert hv["vs_finite_differences"] < 1e-7
    assert hv["hessian_fwd_rev_vs_rev_rev"] < 1e-12 and hv["hessian_asymmetry"] < 1e-12
    assert hv["hessian_times_v_vs_hvp"] < 1e-12
    drawn = result["picture"]
    assert drawn["dL_da_forward"] == pytest.approx(-24.0) == drawn["dL_da_reverse"]
    assert (drawn["dL_db_reverse"], drawn["dL_dc_reverse"]) == pytest.approx((16.0, 8.0))


def test_forward_vs_reverse_picture_has_both_modes(tmp_path):
    pytest.importorskip("graphviz")
    from tinygrad_edu.viz import find_renderer

    if find_renderer() is None:
        pytest.skip("no Graphviz renderer")
    run_quick("forward_vs_reverse", tmp_path)
    assert_pictures(tmp_path, "forward_vs_reverse_modes.svg")
    svg = (tmp_path / "forward_vs_reverse_modes.svg").read_text(encoding="utf-8")
    assert "forward mode (jvp)" in svg and "reverse mode (vjp)" in svg
    assert "tangent = &#45;24" in svg and "grad = &#45;24" in svg  # SVG escapes the minus
    page = (tmp_path / "forward_vs_reverse_explorer.html").read_text(encoding="utf-8")
    assert 'id="dir-forward"' in page and "Tangent step 3 of 3 · PowConst" in page
