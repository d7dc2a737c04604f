// The engine tests' harness itself (numeric_check.h, reference.h): the comparisons tell apart
// what they should, and every guard fails when it should — a golden section with no case, the
// wrong number of cases, a mis-named section, a case that checks nothing, a run in which no case
// ran. ctest also runs this binary with a filter that matches nothing and expects it to fail.
#include "models/errors.h"
#include "tests/common/reference.h"

using namespace inpaint;

namespace {

bool mentions(const std::vector<std::string>& messages, const std::string& needle)
{
    for (const auto& m : messages)
        if (m.find(needle) != std::string::npos) return true;
    return false;
}

// The failures `f` records, collected instead of failing this run (check them outside it).
template <typename F>
std::vector<std::string> captured(F&& f)
{
    test::FailureCapture capture;
    f();
    return capture.messages;
}

}  // namespace

TEST_CASE(compare_measures_and_bounds)
{
    const auto ref = torch::linspace(-2.0, 2.0, 101, torch::kFloat);
    auto d = test::compareTensors(ref, ref, test::Tolerance(0.0));
    EXPECT(d.ok && d.sameShape && d.finite);
    EXPECT_EQ(d.maxAbs, 0.0);
    EXPECT_EQ(d.relL2, 0.0);

    // allclose: |d| <= atol + rtol |ref|; just above the bound fails, just below passes.
    const auto above = ref + (2e-4 + 1e-5 * ref.abs());
    EXPECT(!test::compareTensors(above, ref, {1e-4, 1e-5}).ok);
    EXPECT(test::compareTensors(ref + 5e-5, ref, {1e-4, 1e-5}).ok);
    d = test::compareTensors(ref + 0.25, ref, test::Tolerance(1.0));
    EXPECT_NEAR(d.maxAbs, 0.25, 1e-6);
    EXPECT_NEAR(d.relL2, 0.25 * std::sqrt(101.0) / ref.to(torch::kDouble).norm().item<double>(), 1e-6);
    // The relative-L2 bound applies on its own.
    EXPECT(test::compareTensors(ref + 0.25, ref, {1.0, 0.0, 0.5}).ok);
    EXPECT(!test::compareTensors(ref + 0.25, ref, {1.0, 0.0, 0.1}).ok);

    // Shapes, non-finite values and empty tensors.
    d = test::compareTensors(ref.slice(0, 1), ref, test::Tolerance(1e9));
    EXPECT(!d.ok && !d.sameShape && std::isinf(d.maxAbs));
    auto withNan = ref.clone();
    withNan[3] = NAN;
    d = test::compareTensors(withNan, ref, test::Tolerance(1e9));
    EXPECT(!d.ok && !d.finite);
    EXPECT(test::compareTensors(torch::zeros({0, 4}), torch::zeros({0, 4}), test::Tolerance()).ok);
    EXPECT(std::isinf(test::maxAbsDiff(torch::zeros({2}), torch::zeros({3}))));
    EXPECT(test::tensorsClose(ref, ref, 0.0, "identical"));
    EXPECT(!test::tensorsClose(above, ref, {1e-4, 1e-5}, "perturbed above the bound"));
}

TEST_CASE(worst_case_keeps_the_largest_and_its_label)
{
    test::WorstCase w;
    EXPECT_EQ(w.count(), 0);
    w.record("a", 1e-6);
    w.record("b", 3e-5);
    w.record("c", 2e-5);
    EXPECT_EQ(w.value(), 3e-5);
    EXPECT_EQ(w.label(), std::string("b"));
    EXPECT_EQ(w.count(), 3);
    w.record("nan", NAN);  // a NaN is never hidden behind a finite maximum
    EXPECT(std::isnan(w.value()));
}

TEST_CASE(golden_cases_fail_when_none_or_not_as_many)
{
    const auto meta = test::loadGoldenJson("unet");
    size_t n = 0, all = 0;
    auto messages = captured([&] {
        n = test::goldenCases(meta, "tiny-sd/", 5).size();
        all = test::goldenCases(meta).size();
    });
    EXPECT_EQ(n, 5u);
    EXPECT_EQ(all, 10u);
    EXPECT(messages.empty());

    messages = captured([&] { n = test::goldenCases(meta, "no-such-model/").size(); });
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(messages.size(), 1u);
    EXPECT(mentions(messages, "golden/unet cases 'no-such-model/*': no case found"));

    messages = captured([&] { test::goldenCases(meta, "tiny-sd/", 6); });
    EXPECT(mentions(messages, "5 cases, expected 6"));

    // A section whose case list is empty, or that has none.
    messages = captured([&] {
        test::goldenCases(nlohmann::json{{"section", "empty"}, {"cases", nlohmann::json::array()}});
        test::goldenCases(nlohmann::json::object());
    });
    EXPECT_EQ(messages.size(), 2u);
    EXPECT(mentions(messages, "golden/empty: no case found"));

    // A mis-named section does not load at all.
    EXPECT_THROWS(test::loadGoldenJson("no_such_section"), models::ModelError, "no_such_section");
}

TEST_CASE(run_fails_on_a_case_without_checks_and_on_no_case)
{
    using Case = test::Registry::Case;
    const std::vector<Case> cases{{"nested_checks_something", [] { EXPECT(true); }}, {"nested_checks_nothing", [] {}}};
    int rc = -1;
    auto messages = captured([&] { rc = test::runCases(cases, "nested_checks_something"); });
    EXPECT_EQ(rc, 0);
    EXPECT(messages.empty());

    messages = captured([&] { rc = test::runCases(cases, "nested_checks_nothing"); });
    EXPECT_EQ(rc, 1);
    EXPECT(mentions(messages, "nested_checks_nothing: the case made no check"));

    messages = captured([&] { rc = test::runCases(cases, "matches_no_case"); });
    EXPECT_EQ(rc, 1);
    EXPECT(mentions(messages, "no case ran"));

    const std::vector<Case> throwing{{"nested_throws", [] { throw std::runtime_error("boom"); }},
                                     {"nested_requires", [] { REQUIRE(false); }}};
    messages = captured([&] { rc = test::runCases(throwing, ""); });
    EXPECT_EQ(rc, 1);
    EXPECT(mentions(messages, "nested_throws: unexpected exception: boom"));
    EXPECT(mentions(messages, "REQUIRE(false)"));
}

TEST_CASE(failed_expectations_are_counted)
{
    const auto messages = captured([] {
        EXPECT(1 == 2);
        EXPECT_EQ(3, 4);
        EXPECT_NEAR(1.0, 1.1, 0.05);
        EXPECT_MSG(false, "value " << 7);
        EXPECT_THROWS((void)0, std::runtime_error, "x");
        EXPECT_THROWS(throw std::runtime_error("other"), std::runtime_error, "needle");
    });
    EXPECT_EQ(messages.size(), 6u);
    EXPECT(mentions(messages, "EXPECT_EQ(3, 4): 3 != 4"));
    EXPECT(mentions(messages, "value 7"));
    EXPECT(mentions(messages, "did not throw"));
    EXPECT(mentions(messages, "lacks 'needle'"));
}

TEST_MAIN()
