// libFuzzer harness: the CLIP tokenizer's loading (models/clip/clip_tokenizer.cpp). The input holds
// parts separated by "\n===\n" lines: vocab.json, merges.txt, then optionally tokenizer_config.json,
// special_tokens_map.json and a prompt. With two parts it goes through ClipTokenizer::fromData
// (default special tokens); with three or more, the files are written to a scratch folder and read
// by ClipTokenizer::fromFolder. A loaded tokenizer then encodes the prompt, which must give exactly
// model_max_length ids, bos first, none negative.
#include "tests/fuzz/fuzz_util.h"

#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"

using namespace inpaint;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto parts = fuzz::splitParts(data, size, 5);
    if (parts.size() < 2) return 0;
    const std::string prompt = parts.size() >= 5 ? parts[4] : std::string("a photo of a cat, <|endoftext|> 123 don't");
    try {
        models::ClipTokenizer tok = [&] {
            if (parts.size() == 2)
                return models::ClipTokenizer::fromData(parts[0], parts[1], {}, "the fuzz input");
            const fs::path dir = fuzz::scratchDir() / "tokenizer";
            std::error_code ec;
            fs::remove_all(dir, ec);
            fuzz::writeFile(dir / "vocab.json", parts[0]);
            fuzz::writeFile(dir / "merges.txt", parts[1]);
            fuzz::writeFile(dir / "tokenizer_config.json", parts[2]);
            if (parts.size() >= 4) fuzz::writeFile(dir / "special_tokens_map.json", parts[3]);
            return models::ClipTokenizer::fromFolder(dir);
        }();
        const auto ids = tok.encode(prompt);
        if (ids.size() != static_cast<size_t>(tok.maxLength()) || ids.front() != tok.bosId())
            fuzz::fail("encode() gave " + std::to_string(ids.size()) + " ids for model_max_length " +
                       std::to_string(tok.maxLength()));
        for (const int64_t id : ids)
            if (id < 0) fuzz::fail("encode() gave the negative id " + std::to_string(id));
        for (const auto& t : tok.tokenize(prompt)) fuzz::sink(t.size());
        fuzz::sink(tok.idToToken(tok.eosId()).size());
    } catch (const models::ModelError&) {
    }
    return 0;
}
