// AutoencoderTiny (see autoencoder_tiny.h).
#include "models/vae/autoencoder_tiny.h"

#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/io/safetensors.h"
#include "models/io/state_dict.h"
#include "models/nn/config_reader.h"
#include "models/nn/layers.h"

#include <torch/torch.h>

namespace inpaint::models {

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool bias)
{
    nn::Conv2dOptions o;
    o.in = in;
    o.out = out;
    o.kernel = kernel;
    o.stride = stride;
    o.padding = kernel / 2;
    o.bias = bias;
    return nn::Conv2d(o);
}

}  // namespace

AutoencoderTinyConfig AutoencoderTinyConfig::fromJson(const nlohmann::json& json, const std::string& what)
{
    AutoencoderTinyConfig c;
    nn::ConfigReader r(json, what);
    c.inChannels = r.getInt("in_channels", c.inChannels);
    c.outChannels = r.getInt("out_channels", c.outChannels);
    c.encoderBlockOutChannels = r.getIntList("encoder_block_out_channels", c.encoderBlockOutChannels);
    c.decoderBlockOutChannels = r.getIntList("decoder_block_out_channels", c.decoderBlockOutChannels);
    c.numEncoderBlocks = r.getIntList("num_encoder_blocks", c.numEncoderBlocks);
    c.numDecoderBlocks = r.getIntList("num_decoder_blocks", c.numDecoderBlocks);
    c.latentChannels = r.getInt("latent_channels", c.latentChannels);
    c.upsamplingScalingFactor = r.getInt("upsampling_scaling_factor", c.upsamplingScalingFactor);
    c.scalingFactor = r.getDouble("scaling_factor", c.scalingFactor);
    c.latentMagnitude = r.getDouble("latent_magnitude", c.latentMagnitude);
    c.latentShift = r.getDouble("latent_shift", c.latentShift);
    r.requireOneOf("act_fn", {"relu"});
    r.acceptMetadata("block_out_channels");  // AutoencoderTiny registers the decoder's channels under it
    r.acceptMetadata("force_upcast");        // a pipeline flag; this engine keeps TAESD in the model's dtype
    r.finish();
    auto bad = [&](const std::string& key, const std::string& why) { r.fail(key, why); };
    if (c.encoderBlockOutChannels.empty() || c.encoderBlockOutChannels.size() != c.numEncoderBlocks.size())
        bad("num_encoder_blocks", "needs one entry per encoder_block_out_channels entry");
    if (c.decoderBlockOutChannels.empty() || c.decoderBlockOutChannels.size() != c.numDecoderBlocks.size())
        bad("num_decoder_blocks", "needs one entry per decoder_block_out_channels entry");
    // diffusers 0.25.1 builds stage i's first conv with block_out_channels[i] inputs although stage
    // i-1 produced block_out_channels[i-1]: only equal widths run there.
    for (const auto* list : {&c.encoderBlockOutChannels, &c.decoderBlockOutChannels})
        for (int64_t v : *list)
            if (v != list->front() || v < 1)
                bad(list == &c.encoderBlockOutChannels ? "encoder_block_out_channels" : "decoder_block_out_channels",
                    "must be equal positive widths (diffusers 0.25.1 runs no other)");
    for (int64_t v : c.numEncoderBlocks)
        if (v < 0) bad("num_encoder_blocks", "must not be negative");
    for (int64_t v : c.numDecoderBlocks)
        if (v < 0) bad("num_decoder_blocks", "must not be negative");
    if (c.upsamplingScalingFactor != 2) bad("upsampling_scaling_factor", "only 2 is supported");
    if (!(c.scalingFactor > 0.0)) bad("scaling_factor", "must be > 0");
    if (c.encoderBlockOutChannels.size() != c.decoderBlockOutChannels.size())
        bad("decoder_block_out_channels", "must have as many stages as the encoder");
    if (c.inChannels < 1) bad("in_channels", "must be >= 1");
    if (c.outChannels < 1) bad("out_channels", "must be >= 1");
    if (c.latentChannels < 1) bad("latent_channels", "must be >= 1");
    return c;
}

AutoencoderTinyConfig AutoencoderTinyConfig::fromFile(const std::filesystem::path& configJson)
{
    return fromJson(readConfigJson(configJson), "tiny VAE config (" + configJson.string() + ")");
}

int64_t AutoencoderTinyConfig::scaleFactor() const
{
    int64_t f = 1;
    for (size_t i = 1; i < decoderBlockOutChannels.size(); ++i) f *= upsamplingScalingFactor;
    return f;
}

AutoencoderTinyBlockImpl::AutoencoderTinyBlockImpl(int64_t in, int64_t out)
{
    auto seq = register_module("conv", std::make_shared<torch::nn::Module>());
    m_conv0 = seq->register_module("0", conv(in, out, 3, 1, true));
    m_conv2 = seq->register_module("2", conv(out, out, 3, 1, true));
    m_conv4 = seq->register_module("4", conv(out, out, 3, 1, true));
    if (in != out) m_skip = register_module("skip", conv(in, out, 1, 1, false));
}

torch::Tensor AutoencoderTinyBlockImpl::forward(const torch::Tensor& x)
{
    auto h = torch::relu(m_conv0->forward(x));
    h = torch::relu(m_conv2->forward(h));
    h = m_conv4->forward(h);
    return torch::relu(h + (m_skip ? m_skip->forward(x) : x));
}

void TinyLayersImpl::addModule(std::shared_ptr<torch::nn::Module> m, std::function<torch::Tensor(const torch::Tensor&)> run)
{
    register_module(std::to_string(m_steps.size()), std::move(m));
    m_steps.push_back(std::move(run));
}

void TinyLayersImpl::addStep(std::function<torch::Tensor(const torch::Tensor&)> run) { m_steps.push_back(std::move(run)); }

torch::Tensor TinyLayersImpl::forward(const torch::Tensor& x, std::vector<torch::Tensor>* each) const
{
    torch::Tensor h = x;
    for (const auto& step : m_steps) {
        h = step(h);
        if (each) each->push_back(h);
    }
    return h;
}

AutoencoderTinyImpl::AutoencoderTinyImpl(const AutoencoderTinyConfig& config) : m_config(config)
{
    auto addConv = [](TinyLayers& layers, nn::Conv2d c) {
        layers->addModule(c.ptr(), [p = c.ptr()](const torch::Tensor& x) { return p->forward(x); });
    };
    auto addBlock = [](TinyLayers& layers, int64_t channels) {
        AutoencoderTinyBlock b(channels, channels);
        layers->addModule(b.ptr(), [p = b.ptr()](const torch::Tensor& x) { return p->forward(x); });
    };
    // "encoder.layers.N" / "decoder.layers.N", as diffusers' nn.Sequential names them.
    const auto& ec = config.encoderBlockOutChannels;
    auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
    m_encoderLayers = TinyLayers(std::make_shared<TinyLayersImpl>());
    for (size_t i = 0; i < config.numEncoderBlocks.size(); ++i) {
        addConv(m_encoderLayers, i == 0 ? conv(config.inChannels, ec[i], 3, 1, true) : conv(ec[i], ec[i], 3, 2, false));
        for (int64_t b = 0; b < config.numEncoderBlocks[i]; ++b) addBlock(m_encoderLayers, ec[i]);
    }
    addConv(m_encoderLayers, conv(ec.back(), config.latentChannels, 3, 1, true));
    encoder->register_module("layers", m_encoderLayers.ptr());

    const auto& dc = config.decoderBlockOutChannels;
    auto decoder = register_module("decoder", std::make_shared<torch::nn::Module>());
    m_decoderLayers = TinyLayers(std::make_shared<TinyLayersImpl>());
    addConv(m_decoderLayers, conv(config.latentChannels, dc[0], 3, 1, true));
    m_decoderLayers->addStep([](const torch::Tensor& x) { return torch::relu(x); });
    for (size_t i = 0; i < config.numDecoderBlocks.size(); ++i) {
        const bool last = i + 1 == config.numDecoderBlocks.size();
        for (int64_t b = 0; b < config.numDecoderBlocks[i]; ++b) addBlock(m_decoderLayers, dc[i]);
        if (!last) m_decoderLayers->addStep([](const torch::Tensor& x) { return nn::upsampleNearest2x(x); });
        addConv(m_decoderLayers, conv(dc[i], last ? config.outChannels : dc[i], 3, 1, last));
    }
    decoder->register_module("layers", m_decoderLayers.ptr());
    setChannelsLast(m_channelsLast);
}

void AutoencoderTinyImpl::setChannelsLast(bool on)
{
    m_channelsLast = on;
    if (on) {
        nn::convertConvWeightsToChannelsLast(*this);
    } else {
        torch::NoGradGuard g;
        for (auto& p : parameters(true)) p.set_data(p.contiguous());
    }
}

torch::Tensor AutoencoderTinyImpl::prepare(const torch::Tensor& x) const
{
    return m_channelsLast ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
}

torch::Tensor AutoencoderTinyImpl::encode(const torch::Tensor& x)
{
    const int64_t f = m_config.scaleFactor();
    if (x.dim() != 4 || x.size(1) != m_config.inChannels || x.size(2) % f || x.size(3) % f)
        throw std::invalid_argument("AutoencoderTiny::encode: expected [B, " + std::to_string(m_config.inChannels) +
                                    ", H, W] with H and W multiples of " + std::to_string(f));
    return m_encoderLayers->forward(prepare(x.add(1).div(2))).contiguous();
}

torch::Tensor AutoencoderTinyImpl::decode(const torch::Tensor& z)
{
    if (z.dim() != 4 || z.size(1) != m_config.latentChannels)
        throw std::invalid_argument("AutoencoderTiny::decode: expected [B, " + std::to_string(m_config.latentChannels) +
                                    ", h, w]");
    return m_decoderLayers->forward(prepare(torch::tanh(z / 3) * 3)).mul(2).sub(1).contiguous();
}

void AutoencoderTinyImpl::loadWeights(const std::map<std::string, torch::Tensor>& weights, const std::string& what)
{
    loadStateDictStrict(*this, weights, what);
    nn::invalidatePackedConvs(*this);
    setChannelsLast(m_channelsLast);
}

std::shared_ptr<AutoencoderTinyImpl> AutoencoderTinyImpl::loadFolder(const std::filesystem::path& dir, torch::Device device,
                                                                     torch::ScalarType dtype)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw ConfigError("The tiny VAE '" + dir.string() + "' is not a folder (a diffusers AutoencoderTiny folder).");
    const auto configPath = dir / "config.json";
    const auto config = readConfigJson(configPath);
    if (config.value("_class_name", std::string("AutoencoderTiny")) != "AutoencoderTiny")
        throw ConfigError("'" + configPath.string() + "' describes a " + config.value("_class_name", std::string()) +
                          ", not an AutoencoderTiny (TAESD).");
    auto model = std::make_shared<AutoencoderTinyImpl>(
        AutoencoderTinyConfig::fromJson(config, "tiny VAE config (" + configPath.string() + ")"));
    std::filesystem::path weightsPath = dir / "diffusion_pytorch_model.safetensors";
    if (!std::filesystem::exists(weightsPath, ec) && std::filesystem::exists(dir / "diffusion_pytorch_model.fp16.safetensors", ec))
        weightsPath = dir / "diffusion_pytorch_model.fp16.safetensors";
    model->loadWeights(loadSafetensors(weightsPath), "the tiny VAE '" + weightsPath.string() + "'");
    model->to(device, dtype);
    model->eval();
    nn::prepackConvs(*model);  // on the CPU, once per load (conv.h)
    return model;
}

}  // namespace inpaint::models
