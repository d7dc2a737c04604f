// inpaint-cli run (placeholder until implemented).
#include "app/cli/commands.h"

#include <cstdio>

namespace inpaint::cli {

int cmdRun(const Args&)
{
    std::fputs("inpaint-cli: 'run' is not implemented yet\n", stderr);
    return 2;
}

}  // namespace inpaint::cli
