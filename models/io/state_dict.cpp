// Strict state-dict loading (the equivalent of torch's load_state_dict(strict=True)): every
// parameter and buffer of the module must have a tensor of the same name and shape, and every
// tensor must have a home. Any mismatch is reported with the offending keys.
#include "models/io/state_dict.h"

#include "models/errors.h"

#include <torch/torch.h>

#include <sstream>
#include <vector>

namespace inpaint::models {

namespace {

std::string shapeString(at::IntArrayRef s)
{
    std::ostringstream o;
    o << '[';
    for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
    o << ']';
    return o.str();
}

void appendList(std::ostringstream& msg, const char* label, const std::vector<std::string>& keys)
{
    if (keys.empty()) return;
    constexpr size_t kShown = 8;
    msg << ' ' << keys.size() << ' ' << label << ": ";
    for (size_t i = 0; i < keys.size() && i < kShown; ++i) msg << (i ? ", " : "") << keys[i];
    if (keys.size() > kShown) msg << ", ... (" << keys.size() - kShown << " more)";
    msg << '.';
}

}  // namespace

void loadStateDictStrict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& weights,
                         const std::string& what)
{
    torch::NoGradGuard noGrad;
    std::map<std::string, torch::Tensor> targets;
    for (const auto& p : module.named_parameters(/*recurse=*/true)) targets.emplace(p.key(), p.value());
    for (const auto& b : module.named_buffers(/*recurse=*/true)) targets.emplace(b.key(), b.value());

    std::vector<std::string> missing, unexpected, misShaped;
    for (const auto& [name, t] : targets)
        if (!weights.count(name)) missing.push_back(name);
    for (const auto& [name, w] : weights) {
        const auto it = targets.find(name);
        if (it == targets.end()) {
            unexpected.push_back(name);
        } else if (!w.defined() || w.sizes() != it->second.sizes()) {
            misShaped.push_back(name + " (checkpoint " + (w.defined() ? shapeString(w.sizes()) : "undefined") +
                                ", model " + shapeString(it->second.sizes()) + ")");
        }
    }
    if (!missing.empty() || !unexpected.empty() || !misShaped.empty()) {
        std::ostringstream msg;
        msg << "The weights of " << what << " do not match the model built from its config:";
        appendList(msg, "missing", missing);
        appendList(msg, "unexpected", unexpected);
        appendList(msg, "with a different shape", misShaped);
        throw WeightsError(msg.str());
    }
    // All checks passed before anything is written, so a failed load leaves the module untouched.
    for (const auto& [name, w] : weights) {
        auto& dst = targets.at(name);
        dst.copy_(w);  // converts dtype and device
    }
}

}  // namespace inpaint::models
