"""NEST's adaptive integration of a neuron's ODEs dy/dt = f(y): GSL's Runge-Kutta-Fehlberg
4(5) stepper (``gsl_odeiv_step_rkf45``) under the standard step-size control
(``gsl_odeiv_control_standard_new``: ``y_new`` or ``yp_new``), one ``evolve_apply`` being one
call of ``gsl_odeiv_evolve_apply``.  NEST's conductance-based and adaptive models cover a
simulation step of ``dt`` ms with

    t = 0;  while t < dt:  (t, h) = evolve_apply(..., t, dt, h, y, ...)

keeping the suggested step ``h`` (NEST's ``IntegrationStep_``, first ``dt``) per neuron from
step to step.  Written from GSL's algorithm (ode-initval/rkf45.c, cstd.c, evolve.c): the same
coefficients and the same order of floating-point operations, so that a model whose
derivatives are computed as NEST computes them gives NEST's values to the last bit.

Error control: the step is accepted when, for every component i,
|yerr_i| <= 1.1 D_i with D_i = eps_rel (a_y |y_i| + a_dydt h |dy_i/dt|) + eps_abs; otherwise it
is retried with h scaled by max(0.9 r^(-1/5), 0.2) (r the largest |yerr_i| / D_i); below
r = 0.5 the next step grows by min(max(0.9 r^(-1/6), 1), 5).

A model supplies ``derivs(y, f, par, c, refractory, i_stim)``: f = dy/dt at state y for the
neuron whose parameters are column c of ``par``, with its refractory flag and stimulus
current (pA) of the step; ``evolve_apply`` takes it as its first argument.  Both functions
here are inlined into the model's update (numba's inline="always"): the model's derivatives
are then called directly, and the composed kernels stay cacheable (a function passed as an
argument to a compiled call is a "dynamic global" that numba's cache refuses).
"""

import numba as nb
import numpy as np

ORDER = 5  # gsl_odeiv_step_order of rkf45
DBL_MIN = np.finfo(np.float64).tiny

# Runge-Kutta-Fehlberg coefficients (GSL's rkf45.c): stage times, stages, the 5th-order sum
A1, A2, A3, A4, A5 = 1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0
B31, B32 = 3.0 / 32.0, 9.0 / 32.0
B41, B42, B43 = 1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0
B51, B52, B53, B54 = 8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0
B61, B62, B63, B64, B65 = (
    -6080.0 / 20520.0,
    41040.0 / 20520.0,
    -28352.0 / 20520.0,
    9295.0 / 20520.0,
    -5643.0 / 20520.0,
)
C1, C3, C4, C5, C6 = (
    902880.0 / 7618050.0,
    3953664.0 / 7618050.0,
    3855735.0 / 7618050.0,
    -1371249.0 / 7618050.0,
    277020.0 / 7618050.0,
)
# differences of the 5th- and 4th-order weights: the error estimate
E1, E3, E4, E5, E6 = 1.0 / 360.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0

# rows of the work array (WORK_ROWS x dim) of evolve_apply
_K1, _K2, _K3, _K4, _K5, _K6, _YTMP, _Y0, _DYDT_IN, _DYDT_OUT, _YERR = range(11)
WORK_ROWS = 11


@nb.njit(cache=True, inline="always")
def _rkf45_apply(derivs, h, y, w, par, c, refractory, i_stim):
    """One RKF45 step of length h from y (in place), with dy/dt at y in w[_DYDT_IN]; the
    derivatives at the new y into w[_DYDT_OUT], the error estimate into w[_YERR]."""
    k1, k2, k3, k4, k5, k6, ytmp = w[_K1], w[_K2], w[_K3], w[_K4], w[_K5], w[_K6], w[_YTMP]
    n = y.shape[0]
    for i in range(n):
        k1[i] = w[_DYDT_IN, i]
    for i in range(n):
        ytmp[i] = y[i] + A1 * h * k1[i]
    derivs(ytmp, k2, par, c, refractory, i_stim)
    for i in range(n):
        ytmp[i] = y[i] + h * (B31 * k1[i] + B32 * k2[i])
    derivs(ytmp, k3, par, c, refractory, i_stim)
    for i in range(n):
        ytmp[i] = y[i] + h * (B41 * k1[i] + B42 * k2[i] + B43 * k3[i])
    derivs(ytmp, k4, par, c, refractory, i_stim)
    for i in range(n):
        ytmp[i] = y[i] + h * (B51 * k1[i] + B52 * k2[i] + B53 * k3[i] + B54 * k4[i])
    derivs(ytmp, k5, par, c, refractory, i_stim)
    for i in range(n):
        ytmp[i] = y[i] + h * (B61 * k1[i] + B62 * k2[i] + B63 * k3[i] + B64 * k4[i] + B65 * k5[i])
    derivs(ytmp, k6, par, c, refractory, i_stim)
    for i in range(n):
        d_i = C1 * k1[i] + C3 * k3[i] + C4 * k4[i] + C5 * k5[i] + C6 * k6[i]
        y[i] += h * d_i
    derivs(y, w[_DYDT_OUT], par, c, refractory, i_stim)
    for i in range(n):
        w[_YERR, i] = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i])


@nb.njit(cache=True, inline="always")
def evolve_apply(derivs, t, t1, h, y, eps_abs, eps_rel, a_y, a_dydt, w, par, c, refractory,
                 i_stim):  # fmt: skip
    """``gsl_odeiv_evolve_apply``: one accepted step from time t towards t1 (at most to t1)
    with the suggested length h, of y in place; ``w``: WORK_ROWS x len(y) scratch.  A step
    whose error is too large is undone and retried shorter.  Returns (the new t, the
    suggested length of the next step)."""
    n = y.shape[0]
    y0 = w[_Y0]
    for i in range(n):
        y0[i] = y[i]
    derivs(y, w[_DYDT_IN], par, c, refractory, i_stim)
    dt = t1 - t
    h0 = h
    while True:
        final_step = (dt >= 0.0 and h0 > dt) or (dt < 0.0 and h0 < dt)
        if final_step:
            h0 = dt
        _rkf45_apply(derivs, h0, y, w, par, c, refractory, i_stim)
        t_new = t1 if final_step else t + h0
        # gsl_odeiv_control_hadjust of the standard control
        h_old = h0
        rmax = DBL_MIN
        for i in range(n):
            d0 = eps_rel * (a_y * abs(y[i]) + a_dydt * abs(h_old * w[_DYDT_OUT, i])) + eps_abs
            r = abs(w[_YERR, i]) / abs(d0)
            rmax = r if r > rmax else rmax
        if rmax > 1.1:  # decrease: no more than a factor 5, 0.9 of what the error suggests
            r = 0.9 / rmax ** (1.0 / ORDER)
            if r < 0.2:
                r = 0.2
            h_new = r * h_old
            if abs(h_new) < abs(h_old) and t_new + h_new != t_new:
                for i in range(n):  # undo the step, and try again shorter
                    y[i] = y0[i]
                h0 = h_new
                continue
            h0 = h_old
        elif rmax < 0.5:  # increase: no more than a factor 5, never a decrease
            r = 0.9 / rmax ** (1.0 / (ORDER + 1.0))
            if r > 5.0:
                r = 5.0
            if r < 1.0:
                r = 1.0
            h0 = r * h_old
        return t_new, h0
