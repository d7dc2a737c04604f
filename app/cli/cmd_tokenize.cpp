// inpaint-cli tokenize (placeholder until implemented).
#include "app/cli/commands.h"

#include <cstdio>

namespace inpaint::cli {

int cmdTokenize(const Args&)
{
    std::fputs("inpaint-cli: 'tokenize' is not implemented yet\n", stderr);
    return 2;
}

}  // namespace inpaint::cli
