// The reference data under tests/data/reference (tiny diffusers models and goldens produced by
// diffusers 0.25.1 / transformers; see tests/data/reference/INDEX.md): paths, golden loaders, and
// the cases of a golden section, counted so that an empty or mis-named section fails.
#pragma once

#include "models/io/json_config.h"
#include "models/io/safetensors.h"
#include "tests/common/numeric_check.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

namespace inpaint::test {

// $INPAINT_TEST_DATA_DIR/reference (ctest sets it), else the source tree's copy.
inline std::filesystem::path referenceDir()
{
    const char* env = std::getenv("INPAINT_TEST_DATA_DIR");
    return std::filesystem::path(env && *env ? env : INPAINT_TEST_DATA_DIR) / "reference";
}

inline std::filesystem::path modelDir(const std::string& model)
{
    return referenceDir() / "models" / model;
}

inline std::filesystem::path goldenPath(const std::string& section, const char* extension)
{
    return referenceDir() / "golden" / (section + extension);
}

// Every tensor of golden/<section>.safetensors, e.g. "unet" -> golden/unet.safetensors.
inline std::map<std::string, torch::Tensor> loadGolden(const std::string& section)
{
    return models::loadSafetensors(goldenPath(section, ".safetensors"));
}

// The same file, mapped: tensors are read on demand.
inline std::shared_ptr<models::SafetensorsFile> openGolden(const std::string& section)
{
    return models::SafetensorsFile::open(goldenPath(section, ".safetensors"));
}

// The JSON sidecar golden/<section>.json.
inline nlohmann::json loadGoldenJson(const std::string& section)
{
    return models::readConfigJson(goldenPath(section, ".json"));
}

inline constexpr int kAnyCount = -1;

// The cases of a sidecar (its "cases" array) whose name starts with `prefix`. A failed check when
// there are none, or not exactly `expected` when it is given: a loop over goldens that finds
// nothing to compare must fail, not pass. The count goes into the run's summary.
inline std::vector<nlohmann::json> goldenCases(const nlohmann::json& sidecar, const std::string& prefix = "",
                                               int expected = kAnyCount,
                                               const SourceLocation at = SourceLocation::current())
{
    std::vector<nlohmann::json> out;
    if (sidecar.is_object() && sidecar.contains("cases") && sidecar.at("cases").is_array())
        for (const auto& c : sidecar.at("cases"))
            if (c.value("name", std::string()).rfind(prefix, 0) == 0) out.push_back(c);
    countCheck();
    const int n = static_cast<int>(out.size());
    const std::string section = sidecar.is_object() ? sidecar.value("section", std::string("?")) : std::string("?");
    const std::string what = "golden/" + section + (prefix.empty() ? std::string() : " cases '" + prefix + "*'");
    if (n == 0)
        fail(at, what + ": no case found (empty, renamed or missing)");
    else if (expected != kAnyCount && n != expected)
        fail(at, what + ": " + std::to_string(n) + " cases, expected " + std::to_string(expected));
    Registry::get().goldenCases += n;
    return out;
}

}  // namespace inpaint::test
