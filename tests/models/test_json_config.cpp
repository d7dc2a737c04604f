// Tests of models/io/json_config: Python's NaN / Infinity / -Infinity literals, strings that merely
// contain those words, and errors that name the file.
#include "models/errors.h"
#include "models/io/json_config.h"
#include "tests/models/check.h"

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace inpaint::models;

int main()
{
    try {
        const auto j = parseConfigJson(
            R"({"a": NaN, "b": -Infinity, "c": Infinity, "d": [1, NaN, -Infinity], "s": "NaN -Infinity",)"
            R"( "e": "say \"Infinity\"", "n": {"x": -1.5e3, "t": true, "z": null}})",
            "test");
        VERIFY(j["a"].is_number_float());
        VERIFY(std::isnan(j["a"].get<double>()));
        VERIFY(j["b"].get<double>() == -INFINITY);
        VERIFY(j["c"].get<double>() == INFINITY);
        VERIFY(std::isnan(j["d"][1].get<double>()));
        VERIFY(j["d"][2].get<double>() == -INFINITY);
        VERIFY_EQ(j["d"][0].get<int>(), 1);
        VERIFY_EQ(j["s"].get<std::string>(), std::string("NaN -Infinity"));
        VERIFY_EQ(j["e"].get<std::string>(), std::string("say \"Infinity\""));
        VERIFY_EQ(j["n"]["x"].get<double>(), -1500.0);
        VERIFY(j["n"]["t"].get<bool>());
        VERIFY(j["n"]["z"].is_null());

        VERIFY_THROWS(FormatError, parseConfigJson("{\"a\": NaNx}", "cfg-x"), "cfg-x");
        VERIFY_THROWS(FormatError, parseConfigJson("{\"a\": 1,}", "cfg-y"), "not valid");
        VERIFY_THROWS(FormatError, parseConfigJson("", "cfg-empty"), "cfg-empty");

        // File reading: the SD2 inpainting UNet config of the reference set, and errors.
        const std::filesystem::path ref = std::filesystem::path(INPAINT_TEST_DATA_DIR) / "reference";
        const auto unet = readConfigJson(ref / "configs" / "stable-diffusion-2-inpainting" / "unet" / "config.json");
        VERIFY_EQ(unet["in_channels"].get<int>(), 9);
        VERIFY_EQ(unet["cross_attention_dim"].get<int>(), 1024);
        VERIFY_THROWS(FormatError, readConfigJson(ref / "nope" / "config.json"), "nope");
        VERIFY_THROWS(FormatError, readConfigJson(ref / "models"), "not a file");

        const auto tmp = std::filesystem::temp_directory_path() / "inpaint_test_json_config.json";
        {
            std::ofstream o(tmp);
            o << "{\"sample_max_value\": Infinity, \"clip\": -Infinity}";
        }
        const auto f = readConfigJson(tmp);
        VERIFY(f["sample_max_value"].get<double>() == INFINITY);
        {
            std::ofstream o(tmp);
            o << "{\"broken\": ";
        }
        VERIFY_THROWS(FormatError, readConfigJson(tmp), tmp.string());
        std::filesystem::remove(tmp);
    } catch (const std::exception& e) {
        inpaint::test::fail(__FILE__, __LINE__, std::string("threw: ") + e.what());
    }
    return inpaint::test::checkReport("test_json_config");
}
