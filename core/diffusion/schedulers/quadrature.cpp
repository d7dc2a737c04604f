// 21-point Gauss-Kronrod quadrature, QUADPACK's qk21 and a simplified qags (see quadrature.h).
#include "core/diffusion/schedulers/quadrature.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace inpaint::diffusion::detail {

namespace {

// Abscissae of the 21-point Kronrod rule on [-1, 1] (xgk[1], xgk[3], ... are the 10-point Gauss
// nodes), the Kronrod weights and the Gauss weights, as tabulated in QUADPACK (Piessens et al. 1983).
constexpr double kXgk[11] = {
    0.995657163025808080735527280689003, 0.973906528517171720077964012084452, 0.930157491355708226001207180059508,
    0.865063366688984510732096688423493, 0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
    0.562757134668604683339000099272694, 0.433395394129247190799265943165784, 0.294392862701460198131126603103866,
    0.148874338981631210884826001129720, 0.000000000000000000000000000000000};
constexpr double kWgk[11] = {
    0.011694638867371874278064396062192, 0.032558162307964727478818972459390, 0.054755896574351996031381300244580,
    0.075039674810919952767043140916190, 0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
    0.123491976262065851077958109831074, 0.134709217311473325928054001771707, 0.142775938577060080797094273138717,
    0.147739104901338491374841515972068, 0.149445554002916905664936468389821};
constexpr double kWg[5] = {0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
                           0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
                           0.295524224714752870173892994651338};

}  // namespace

QuadResult gaussKronrod21(const std::function<double(double)>& f, double a, double b)
{
    const double epmach = std::numeric_limits<double>::epsilon();
    const double uflow = std::numeric_limits<double>::min();
    const double centr = 0.5 * (a + b);
    const double hlgth = 0.5 * (b - a);
    const double dhlgth = std::abs(hlgth);

    double fv1[10];
    double fv2[10];
    double resg = 0.0;
    const double fc = f(centr);
    double resk = kWgk[10] * fc;
    double resabs = std::abs(resk);
    for (int j = 0; j < 5; ++j) {  // Gauss nodes: QUADPACK's jtw = 2, 4, ..., 10 (1-based)
        const int jtw = 2 * j + 1;
        const double absc = hlgth * kXgk[jtw];
        const double fval1 = f(centr - absc);
        const double fval2 = f(centr + absc);
        fv1[jtw] = fval1;
        fv2[jtw] = fval2;
        const double fsum = fval1 + fval2;
        resg += kWg[j] * fsum;
        resk += kWgk[jtw] * fsum;
        resabs += kWgk[jtw] * (std::abs(fval1) + std::abs(fval2));
    }
    for (int j = 0; j < 5; ++j) {  // Kronrod-only nodes: jtwm1 = 1, 3, ..., 9 (1-based)
        const int jtwm1 = 2 * j;
        const double absc = hlgth * kXgk[jtwm1];
        const double fval1 = f(centr - absc);
        const double fval2 = f(centr + absc);
        fv1[jtwm1] = fval1;
        fv2[jtwm1] = fval2;
        const double fsum = fval1 + fval2;
        resk += kWgk[jtwm1] * fsum;
        resabs += kWgk[jtwm1] * (std::abs(fval1) + std::abs(fval2));
    }
    const double reskh = resk * 0.5;
    double resasc = kWgk[10] * std::abs(fc - reskh);
    for (int j = 0; j < 10; ++j) resasc += kWgk[j] * (std::abs(fv1[j] - reskh) + std::abs(fv2[j] - reskh));

    QuadResult r;
    r.value = resk * hlgth;
    resabs *= dhlgth;
    resasc *= dhlgth;
    r.abserr = std::abs((resk - resg) * hlgth);
    if (resasc != 0.0 && r.abserr != 0.0) r.abserr = resasc * std::min(1.0, std::pow(200.0 * r.abserr / resasc, 1.5));
    if (resabs > uflow / (50.0 * epmach)) r.abserr = std::max((epmach * 50.0) * resabs, r.abserr);
    r.intervals = 1;
    return r;
}

QuadResult integrate(const std::function<double(double)>& f, double a, double b, double epsabs, double epsrel,
                     int limit)
{
    QuadResult first = gaussKronrod21(f, a, b);
    double errbnd = std::max(epsabs, epsrel * std::abs(first.value));
    if (first.abserr <= errbnd || first.abserr == 0.0) return first;

    struct Piece {
        double a, b, value, err;
    };
    std::vector<Piece> pieces{{a, b, first.value, first.abserr}};
    double total = first.value;
    double totalErr = first.abserr;
    while (static_cast<int>(pieces.size()) < limit && totalErr > errbnd) {
        auto worst = std::max_element(pieces.begin(), pieces.end(),
                                      [](const Piece& x, const Piece& y) { return x.err < y.err; });
        const Piece p = *worst;
        pieces.erase(worst);
        const double mid = 0.5 * (p.a + p.b);
        const auto left = gaussKronrod21(f, p.a, mid);
        const auto right = gaussKronrod21(f, mid, p.b);
        pieces.push_back({p.a, mid, left.value, left.abserr});
        pieces.push_back({mid, p.b, right.value, right.abserr});
        total = 0;
        totalErr = 0;
        for (const auto& q : pieces) {
            total += q.value;
            totalErr += q.err;
        }
        errbnd = std::max(epsabs, epsrel * std::abs(total));
    }
    return {total, totalErr, static_cast<int>(pieces.size())};
}

}  // namespace inpaint::diffusion::detail
