// inpaint-cli: the command-line front end; shares core/ and models/ with the editor.
#include "app/cli/commands.h"

#include <QCoreApplication>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

void printUsage(std::FILE* out)
{
    std::fputs(
        "usage: inpaint-cli <command> [options]\n"
        "commands:\n"
        "  run       inpaint an image: --image IN --mask MASK --out OUT [--model DIR] [--prompt TEXT]\n"
        "            [--pipeline auto|blend|inpaint-unet|classical-telea|classical-ns] [--scheduler NAME]\n"
        "            [--steps N] [--guidance G] [--strength S] [--seed N] ... (inpaint-cli run --help)\n"
        "  info      describe a diffusers model folder as JSON: --model DIR\n"
        "  tokenize  CLIP token ids (padded to 77) as JSON: --model DIR TEXT...\n"
        "  help      this text\n",
        out);
}

}  // namespace

int main(int argc, char** argv)
{
    // QCoreApplication gives QImage its format plugins (WebP, TIFF) without a display.
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("inpaint-cli"));

    if (argc < 2) {
        printUsage(stderr);
        return 2;
    }
    const std::string cmd = argv[1];
    inpaint::cli::Args args(argv + 2, argv + argc);
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
        printUsage(stdout);
        return 0;
    }
    if (cmd == "run") return inpaint::cli::cmdRun(args);
    if (cmd == "info") return inpaint::cli::cmdInfo(args);
    if (cmd == "tokenize") return inpaint::cli::cmdTokenize(args);
    std::fprintf(stderr, "inpaint-cli: unknown command '%s' (try 'inpaint-cli help')\n", cmd.c_str());
    return 2;
}
