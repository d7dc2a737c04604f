// The standard CLIP BPE vocabulary (resources/clip/vocab.json and merges.txt) embedded in the
// library with the assembler's .incbin, so a checkpoint without tokenizer files still works and
// the 1.4 MB of text costs no compile time. INPAINT_CLIP_RESOURCE_DIR is set for this file in
// models/CMakeLists.txt, which also makes it rebuild when the resources change.
#include "models/clip/clip_tokenizer.h"

#ifndef INPAINT_CLIP_RESOURCE_DIR
#error "INPAINT_CLIP_RESOURCE_DIR must name the folder with vocab.json and merges.txt"
#endif
#if !defined(__ELF__)
#error "bundled_vocabulary.cpp embeds data with ELF section directives (Linux)"
#endif

// Hidden symbols: the data is only reached through the functions below.
__asm__(".pushsection .rodata.inpaint_clip_vocab,\"a\",@progbits\n"
        ".balign 16\n"
        ".hidden inpaint_clip_vocab_begin\n"
        ".hidden inpaint_clip_vocab_end\n"
        ".hidden inpaint_clip_merges_begin\n"
        ".hidden inpaint_clip_merges_end\n"
        "inpaint_clip_vocab_begin:\n"
        ".incbin \"" INPAINT_CLIP_RESOURCE_DIR "/vocab.json\"\n"
        "inpaint_clip_vocab_end:\n"
        ".balign 16\n"
        "inpaint_clip_merges_begin:\n"
        ".incbin \"" INPAINT_CLIP_RESOURCE_DIR "/merges.txt\"\n"
        "inpaint_clip_merges_end:\n"
        ".popsection\n");

extern "C" {
extern const char inpaint_clip_vocab_begin[];
extern const char inpaint_clip_vocab_end[];
extern const char inpaint_clip_merges_begin[];
extern const char inpaint_clip_merges_end[];
}

namespace inpaint::models {

std::string bundledClipVocabJson()
{
    return std::string(inpaint_clip_vocab_begin, inpaint_clip_vocab_end);
}

std::string bundledClipMerges()
{
    return std::string(inpaint_clip_merges_begin, inpaint_clip_merges_end);
}

}  // namespace inpaint::models
