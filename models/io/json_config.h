// Reading diffusers/transformers config JSON. diffusers writes non-standard literals
// (NaN, Infinity, -Infinity) in some configs; they are accepted here.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace inpaint::models {

// Parses the file; throws FormatError naming the file on I/O or syntax errors.
nlohmann::json readConfigJson(const std::filesystem::path& path);
nlohmann::json parseConfigJson(const std::string& text, const std::string& whatForErrors);

}  // namespace inpaint::models
