// inpaint-cli subcommands. Each takes the arguments after the subcommand name, prints its
// result to stdout, one clear line on stderr on failure, and returns the exit code.
#pragma once

#include <string>
#include <vector>

namespace inpaint::cli {

using Args = std::vector<std::string>;

int cmdRun(const Args& args);       // inpaint-cli run --image IN --mask MASK --out OUT ...
int cmdOutpaint(const Args& args);
int cmdBatch(const Args& args);     // inpaint-cli batch --images DIR --masks DIR --out DIR ...  // inpaint-cli outpaint --image IN --left PX ... --out OUT
int cmdInfo(const Args& args);      // inpaint-cli info --model DIR|FILE
int cmdConvert(const Args& args);   // inpaint-cli convert --model FILE --out DIR
int cmdTokenize(const Args& args);
int cmdEncode(const Args& args);    // inpaint-cli encode --model DIR --prompt TEXT --out FILE.safetensors
int cmdCompare(const Args& args);   // inpaint-cli compare --image IN --mask MASK --slot SPEC,SPEC... --out SHEET  // inpaint-cli tokenize --model DIR TEXT...

}  // namespace inpaint::cli
