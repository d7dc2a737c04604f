// Adaptive Gauss-Kronrod quadrature for the LMS coefficients. diffusers integrates the Lagrange
// basis polynomials with scipy.integrate.quad (QUADPACK QAGS: 21-point Gauss-Kronrod rule, then
// bisection of the worst interval while the error estimate is above tolerance). This is the same
// 21-point rule and acceptance test; for the polynomial integrands of LMS (degree <= 3) the first
// rule is exact and accepted, as in QUADPACK, so the results agree to rounding. Later subdivisions
// bisect without QAGS' epsilon extrapolation (never reached for LMS).
#pragma once

#include <functional>

namespace inpaint::diffusion::detail {

struct QuadResult {
    double value = 0;
    double abserr = 0;
    int intervals = 0;
};

// One QUADPACK qk21 evaluation on [a, b]: Kronrod estimate and QUADPACK's error estimate.
QuadResult gaussKronrod21(const std::function<double(double)>& f, double a, double b);

// scipy.integrate.quad(f, a, b, epsabs=1.49e-8, epsrel=...) for smooth integrands.
QuadResult integrate(const std::function<double(double)>& f, double a, double b, double epsabs = 1.49e-8,
                     double epsrel = 1.49e-8, int limit = 50);

}  // namespace inpaint::diffusion::detail
