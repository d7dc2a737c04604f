// Tests of models/io/json_config: Python's NaN / Infinity / -Infinity literals, strings that merely
// contain those words, and errors that name the file.
#include "models/errors.h"
#include "models/io/json_config.h"
#include "tests/common/numeric_check.h"

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace inpaint::models;

TEST_CASE(pythonLiteralsAndFileErrors)
{
    const auto j = parseConfigJson(
        R"({"a": NaN, "b": -Infinity, "c": Infinity, "d": [1, NaN, -Infinity], "s": "NaN -Infinity",)"
        R"( "e": "say \"Infinity\"", "n": {"x": -1.5e3, "t": true, "z": null}})",
        "test");
    EXPECT(j["a"].is_number_float());
    EXPECT(std::isnan(j["a"].get<double>()));
    EXPECT(j["b"].get<double>() == -INFINITY);
    EXPECT(j["c"].get<double>() == INFINITY);
    EXPECT(std::isnan(j["d"][1].get<double>()));
    EXPECT(j["d"][2].get<double>() == -INFINITY);
    EXPECT_EQ(j["d"][0].get<int>(), 1);
    EXPECT_EQ(j["s"].get<std::string>(), std::string("NaN -Infinity"));
    EXPECT_EQ(j["e"].get<std::string>(), std::string("say \"Infinity\""));
    EXPECT_EQ(j["n"]["x"].get<double>(), -1500.0);
    EXPECT(j["n"]["t"].get<bool>());
    EXPECT(j["n"]["z"].is_null());

    EXPECT_THROWS(parseConfigJson("{\"a\": NaNx}", "cfg-x"), FormatError, "cfg-x");
    EXPECT_THROWS(parseConfigJson("{\"a\": 1,}", "cfg-y"), FormatError, "not valid");
    EXPECT_THROWS(parseConfigJson("", "cfg-empty"), FormatError, "cfg-empty");

    // File reading: the SD2 inpainting UNet config of the reference set, and errors.
    const std::filesystem::path ref = std::filesystem::path(INPAINT_TEST_DATA_DIR) / "reference";
    const auto unet = readConfigJson(ref / "configs" / "stable-diffusion-2-inpainting" / "unet" / "config.json");
    EXPECT_EQ(unet["in_channels"].get<int>(), 9);
    EXPECT_EQ(unet["cross_attention_dim"].get<int>(), 1024);
    EXPECT_THROWS(readConfigJson(ref / "nope" / "config.json"), FormatError, "nope");
    EXPECT_THROWS(readConfigJson(ref / "models"), FormatError, "not a file");

    const auto tmp = std::filesystem::temp_directory_path() / "inpaint_test_json_config.json";
    {
        std::ofstream o(tmp);
        o << "{\"sample_max_value\": Infinity, \"clip\": -Infinity}";
    }
    const auto f = readConfigJson(tmp);
    EXPECT(f["sample_max_value"].get<double>() == INFINITY);
    {
        std::ofstream o(tmp);
        o << "{\"broken\": ";
    }
    EXPECT_THROWS(readConfigJson(tmp), FormatError, tmp.string());
    std::filesystem::remove(tmp);
}

// Regression (tests/fuzz, corpus unet_config/regress_deep_nesting): a 200 kB config of nested
// brackets overflowed the stack in the literal restoring pass (one recursion per level); nesting
// deeper than 64 levels is now refused with a message.
TEST_CASE(deepNestingIsRefused)
{
    const std::string deep = "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    EXPECT_THROWS(parseConfigJson(deep, "cfg-deep"), FormatError, "more than 64 levels");
    const std::string ok = "{\"a\": " + std::string(63, '[') + std::string(63, ']') + "}";  // 64 levels
    EXPECT(parseConfigJson(ok, "cfg-64").at("a").is_array());
    // Brackets inside strings are text, not nesting.
    const auto s = parseConfigJson("{\"a\": \"" + std::string(1000, '[') + "\"}", "cfg-str");
    EXPECT_EQ(s.at("a").get<std::string>().size(), size_t(1000));
}

TEST_MAIN()
