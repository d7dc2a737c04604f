// inpaint-cli: the command-line front end; shares core/ and models/ with the editor.
#include "app/cli/commands.h"
#include "core/jobs/engine_info.h"

#include <QGuiApplication>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
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
        "  outpaint  extend the canvas and paint the new area: --image IN --left PX --right PX --top PX --bottom PX\n"
        "            [--prefill edge|telea|noise] [--overlap PX] [the run options] --out OUT (inpaint-cli outpaint --help)\n"
        "  batch     every image of a folder with its mask (by name): --images DIR --masks DIR --out DIR\n"
        "            [the run options]; skips outputs already written (inpaint-cli batch --help)\n"
        "  compare   the same image, mask, prompt and seed through 2-4 slots, as one sheet:\n"
        "            --image IN --mask MASK --slot MODEL_DIR[:pipeline[:scheduler]] --slot ... --out SHEET.png\n"
        "  info      describe a model (diffusers folder or single file) as JSON: --model DIR|FILE\n"
        "  convert   write a single-file checkpoint as a diffusers folder: --model FILE --out DIR\n"
        "  tokenize  CLIP token ids (padded to 77) as JSON: --model DIR TEXT...\n"
        "  encode    AUTOMATIC1111-style prompt conditioning to a .safetensors file: --model DIR --prompt TEXT\n"
        "            --out FILE [--clip-skip N] [--embeddings-dir DIR]...\n"
        "  help      this text\n",
        out);
}

}  // namespace

int main(int argc, char** argv)
{
    inpaint::jobs::restartForBlasCore(argv);  // before any thread: may run this program again
    // A QGuiApplication on the offscreen platform: image format plugins (WebP, TIFF) and fonts for
    // the comparison sheet, without a display.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    // Without XDG_RUNTIME_DIR Qt warns on stderr (which must hold one line on failure): give it a
    // private folder of its own, as Qt would, quietly.
    struct RuntimeDir {
        std::string path;
        ~RuntimeDir()
        {
            std::error_code ec;
            if (!path.empty()) std::filesystem::remove_all(path, ec);
        }
    } runtimeDir;
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        char tmpl[] = "/tmp/inpaint-cli-runtime-XXXXXX";
        if (const char* dir = ::mkdtemp(tmpl)) {
            runtimeDir.path = dir;
            qputenv("XDG_RUNTIME_DIR", dir);
        }
    }
    QGuiApplication app(argc, argv);
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
    if (cmd == "outpaint") return inpaint::cli::cmdOutpaint(args);
    if (cmd == "batch") return inpaint::cli::cmdBatch(args);
    if (cmd == "info") return inpaint::cli::cmdInfo(args);
    if (cmd == "convert") return inpaint::cli::cmdConvert(args);
    if (cmd == "compare") return inpaint::cli::cmdCompare(args);
    if (cmd == "tokenize") return inpaint::cli::cmdTokenize(args);
    if (cmd == "encode") return inpaint::cli::cmdEncode(args);
    std::fprintf(stderr, "inpaint-cli: unknown command '%s' (try 'inpaint-cli help')\n", cmd.c_str());
    return 2;
}
