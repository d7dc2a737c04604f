// The text-encoder part of inpaint-bench: a callable that runs the CLIP text encoder of the
// configs folder on a [2, 77] batch of token ids.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>

namespace inpaint::bench {

struct TextEncoderRun {
    std::function<void()> run;
    std::string description;  // what is timed (the real CLIPTextModel, or a stand-in)
};

TextEncoderRun makeTextEncoderRun(const std::filesystem::path& configDir, torch::Device device, torch::ScalarType dtype);

}  // namespace inpaint::bench
