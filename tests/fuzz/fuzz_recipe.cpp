// libFuzzer harness: the A1111 `parameters` recipe parser (core/jobs/recipe.cpp, jobs::parseParameters)
// on arbitrary text (UTF-8, as a PNG's iTXt chunk holds it). An accepted recipe is formatted back
// and parsed again (the offer-to-load path reads what Save wrote); that second parse must accept it.
#include "tests/fuzz/fuzz_util.h"

#include "core/jobs/recipe.h"

#include <QString>

using namespace inpaint;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char*>(data), qsizetype(size));
    jobs::InpaintRequest request;
    QString model;
    if (!jobs::parseParameters(text, &request, &model)) return 0;
    const QString again = jobs::formatParameters(request, QSize(512, 512), model);
    jobs::InpaintRequest second;
    if (!jobs::parseParameters(again, &second, &model))
        fuzz::fail("formatParameters() wrote a text that parseParameters() does not accept:\n" + again.toStdString());
    fuzz::sink(uint64_t(again.size()));
    return 0;
}
