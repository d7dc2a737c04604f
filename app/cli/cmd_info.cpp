// inpaint-cli info (placeholder until implemented).
#include "app/cli/commands.h"

#include <cstdio>

namespace inpaint::cli {

int cmdInfo(const Args&)
{
    std::fputs("inpaint-cli: 'info' is not implemented yet\n", stderr);
    return 2;
}

}  // namespace inpaint::cli
